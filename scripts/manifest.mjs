// Writes package.json's generated blocks (contributes.commands, contributes.configuration, the
// palette's hidden commands, the language model tool and the MCP server provider) from their tables: client/contributions.ts, over shared/settings.ts.
// `node scripts/manifest.mjs` after changing a setting or a command; test/manifest.test.ts fails until then.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const bundled = await build({ entryPoints: ['client/contributions.ts'], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'warning' });
const contributions = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const contributes = (manifest.contributes ??= {});
contributes.commands = contributions.commandsContribution();
contributes.configuration = contributions.configurationContribution();
contributes.menus = { ...contributes.menus, commandPalette: contributions.hiddenFromPalette() };
contributes.languageModelTools = contributions.languageModelToolsContribution();
contributes.mcpServerDefinitionProviders = contributions.mcpServerDefinitionProvidersContribution();
writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`package.json: ${contributes.commands.length} commands, ${Object.keys(contributes.configuration.properties).length} settings`);
