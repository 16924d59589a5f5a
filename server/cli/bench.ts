export async function runBench(): Promise<number> {
  return 2;
}
