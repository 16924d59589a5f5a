import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { Random } from '../../server/bench/random';
import { fnv1a } from '../../server/util/hash';

/** The model's name, which is also its folder's name under `dir`. */
const NAME = 'ail-tiny-bert';
const HIDDEN = 16;
const MAX_LENGTH = 128;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
const DIGITS = '0123456789'.split('');
const PUNCTUATION = '.,;:!?\'"()[]{}<>=+-*/\\_&|^%$#@~`'.split('');
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'er', 'ers', 'ly', 'tion', 'ment', 'able', 'ize', 'd'];
const WORDS = (
  'the a an and or not of to in on at by for with from is are was were be this that it why how what when ' +
  'fix fixed add added remove removed change update rename refactor revert bump merge move split use ' +
  'bug error crash leak race timeout retry cache index query parse token server client request response ' +
  'file line path commit branch blame history test build config option setting default value type ' +
  'function method class return const let var import export async await promise null undefined true false ' +
  'string number array map set list key name id user data time date size limit count slow fast ' +
  'because so after before instead now again only new old first last git code model vector'
).split(' ');

export interface TinyModel {
  /** The model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx). */
  path: string;
  name: string;
  dimension: number;
}

/**
 * Writes a tiny BERT-shaped model that transformers.js loads from local files: a WordPiece tokenizer
 * over ~240 tokens and an ONNX graph that looks each token up in a deterministic embedding table
 * (values from a PRNG seeded by the token's text, so similar words get unrelated vectors), adds a
 * token-type embedding and zeroes padded positions. No attention, no weights to download: a few KB.
 */
export async function buildTinyModel(dir: string): Promise<TinyModel> {
  const folder = path.join(dir, NAME);
  await mkdir(path.join(folder, 'onnx'), { recursive: true });
  const vocab = vocabulary();
  await writeFile(path.join(folder, 'config.json'), json(config(vocab.length)));
  await writeFile(path.join(folder, 'tokenizer.json'), json(tokenizer(vocab)));
  await writeFile(path.join(folder, 'tokenizer_config.json'), json(tokenizerConfig()));
  await writeFile(path.join(folder, 'onnx', 'model.onnx'), graph(vocab));
  return { path: folder, name: NAME, dimension: HIDDEN };
}

function vocabulary(): string[] {
  const tokens = [
    ...SPECIAL,
    ...LETTERS,
    ...DIGITS,
    ...PUNCTUATION,
    ...WORDS,
    ...LETTERS.map((letter) => `##${letter}`),
    ...DIGITS.map((digit) => `##${digit}`),
    ...SUFFIXES.map((suffix) => `##${suffix}`),
  ];
  return [...new Set(tokens)];
}

function config(vocabSize: number): object {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: HIDDEN * 2,
    max_position_embeddings: MAX_LENGTH,
    type_vocab_size: 2,
    vocab_size: vocabSize,
    pad_token_id: 0,
  };
}

function tokenizer(vocab: string[]): object {
  const id = (token: string) => vocab.indexOf(token);
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((token) => ({
      id: id(token),
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((token) => [token, { id: token, ids: [id(token)], tokens: [token] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, index) => [token, index])),
    },
  };
}

function tokenizerConfig(): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_LENGTH,
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
}

/**
 * last_hidden_state = (words[input_ids] + types[token_type_ids]) * attention_mask[..., None]. Every
 * input is used, so onnxruntime gets no feed it does not know and transformers.js (which feeds only
 * the inputs a session declares) sends all three.
 */
function graph(vocab: string[]): Uint8Array {
  const { FLOAT, INT64 } = onnx.TensorProto.DataType;
  const words = vocab.map((token) => row(`word:${token}`, 1));
  const types = [row('type:0', 0.1), row('type:1', 0.1)];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ail-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny-bert',
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => tensorInfo(name, INT64, ['batch_size', 'sequence_length'])),
      output: [tensorInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', HIDDEN])],
      initializer: [
        { name: 'word_embeddings', dataType: FLOAT, dims: [vocab.length, HIDDEN], rawData: floats(words.flat()) },
        { name: 'token_type_embeddings', dataType: FLOAT, dims: [2, HIDDEN], rawData: floats(types.flat()) },
        { name: 'last_axis', dataType: INT64, dims: [1], int64Data: [-1] },
      ],
      node: [
        { opType: 'Gather', input: ['word_embeddings', 'input_ids'], output: ['words'], attribute: [intAttribute('axis', 0)] },
        { opType: 'Gather', input: ['token_type_embeddings', 'token_type_ids'], output: ['types'], attribute: [intAttribute('axis', 0)] },
        { opType: 'Add', input: ['words', 'types'], output: ['summed'] },
        { opType: 'Cast', input: ['attention_mask'], output: ['mask'], attribute: [intAttribute('to', FLOAT)] },
        { opType: 'Unsqueeze', input: ['mask', 'last_axis'], output: ['mask_3d'] },
        { opType: 'Mul', input: ['summed', 'mask_3d'], output: ['last_hidden_state'] },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function tensorInfo(name: string, elemType: number, shape: (string | number)[]): onnx.IValueInfoProto {
  const dim = shape.map((size) => (typeof size === 'string' ? { dimParam: size } : { dimValue: size }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** HIDDEN values in [-scale, scale) from a PRNG seeded by `seed`'s text. */
function row(seed: string, scale: number): number[] {
  const random = new Random(fnv1a(seed));
  const next = () => random.next();
  return Array.from({ length: HIDDEN }, () => (next() * 2 - 1) * scale);
}

function floats(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, index) => view.setFloat32(index * 4, value, true)); // ONNX raw data is little-endian
  return bytes;
}

function json(value: object): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
