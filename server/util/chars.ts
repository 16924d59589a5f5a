/** How many ASCII letters and digits the text holds: what git's blame scores copies and moves by. */
export function alphanumerics(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) count++;
  }
  return count;
}

/**
 * The same count over UTF-8 bytes, without decoding them: ASCII letters and digits are single bytes,
 * and every byte of a longer character is 0x80 or above.
 */
export function alphanumericBytes(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) count++;
  }
  return count;
}
