/**
 * Hand-made question pairs for the semantic (L2) cache. `same: true` pairs ask the same thing and may
 * share an answer; `same: false` pairs are hard negatives: close in words, different in what they ask
 * (direction, order, identifiers, numbers, intent, subject). Written for AIL; none is taken from elsewhere.
 */
export interface QuestionPair {
  a: string;
  b: string;
  same: boolean;
}

export const PAIRS: QuestionPair[] = [
  // Paraphrases: the same question in other words.
  { a: 'Why does this code exist?', b: 'why does this code exist', same: true },
  { a: 'Why does this code exist?', b: 'Why is this code here?', same: true },
  { a: 'Why does this code exist?', b: 'What is the reason this code exists?', same: true },
  { a: 'Why does this code exist?', b: 'what is the purpose of this code', same: true },
  { a: 'why was the retry limit added', b: 'why was this retry limit added?', same: true },
  { a: 'why was the retry limit added', b: 'what is the reason the retry limit was added', same: true },
  { a: 'why do we hash passwords with bcrypt', b: 'why are passwords hashed with bcrypt', same: true },
  { a: 'why is the session stored in redis', b: 'why are sessions stored in Redis?', same: true },
  { a: 'why does the parser skip comments', b: 'Why does the parser skip comments here?', same: true },
  { a: 'why is the cache size capped', b: 'why is the size of the cache capped', same: true },
  { a: 'who wrote this function', b: 'who wrote this function?', same: true },
  { a: 'who wrote the tokenizer', b: 'Who wrote the tokenizer here', same: true },
  { a: 'when was the rate limiter added', b: 'when was this rate limiter added?', same: true },
  { a: 'when was logging introduced', b: 'When was the logging introduced', same: true },
  { a: 'why did we switch from axios to fetch', b: 'Why did we switch from axios to fetch?', same: true },
  { a: 'why does `parseHeader` lowercase names', b: 'why does `parseHeader` lowercase the names', same: true },
  { a: 'why are there 3 retries', b: 'why are there 3 retries here', same: true },
  { a: 'why does the worker poll the queue', b: 'what is the reason the worker polls the queue', same: true },
  { a: 'why is the connection pool shared', b: 'why is this connection pool shared?', same: true },
  { a: 'why is TLS verification skipped in tests', b: 'why is TLS verification skipped in the tests', same: true },
  // Paraphrases with other words for the same thing: a word-level embedder cannot see these.
  { a: 'why was the retry limit added', b: 'why was the retry cap introduced', same: true },
  { a: 'why do we hash passwords with bcrypt', b: 'what made us pick bcrypt for password hashing', same: true },
  { a: 'why is the session stored in redis', b: 'what is the motivation for keeping sessions in redis', same: true },
  { a: 'who wrote this function', b: 'who is the author of this function', same: true },

  // Hard negatives: do not serve one's answer for the other.
  { a: 'why did we switch from axios to fetch', b: 'why did we switch from fetch to axios', same: false },
  { a: 'why did we move from MD5 to bcrypt', b: 'why did we move from bcrypt to MD5', same: false },
  { a: 'why was the timeout increased', b: 'why was the timeout decreased', same: false },
  { a: 'why was the retry limit raised', b: 'why was the retry limit lowered', same: false },
  { a: 'why was caching enabled here', b: 'why was caching disabled here', same: false },
  { a: 'why was the feature flag added', b: 'why was the feature flag removed', same: false },
  { a: 'why are there 3 retries', b: 'why are there 5 retries', same: false },
  { a: 'why is the timeout 30 seconds', b: 'why is the timeout 60 seconds', same: false },
  { a: 'why does maxRetries exist', b: 'why does maxRetry exist', same: false },
  { a: 'why does `parseHeader` lowercase names', b: 'why does `parseBody` lowercase names', same: false },
  { a: 'why is MAX_CONNECTIONS ten', b: 'why is MAX_WORKERS ten', same: false },
  { a: 'who added the retry limit', b: 'why was the retry limit added', same: false },
  { a: 'when was the retry limit added', b: 'why was the retry limit added', same: false },
  { a: 'who wrote the tokenizer', b: 'when was the tokenizer written', same: false },
  { a: 'why do we use bcrypt', b: 'why do we use argon2', same: false },
  { a: 'why is the session stored in redis', b: 'why is the session stored in postgres', same: false },
  { a: 'why does the parser skip comments', b: 'why does the parser keep comments', same: false },
  { a: 'why is the lock taken before the write', b: 'why is the lock taken after the write', same: false },
  { a: 'why is this call synchronous', b: 'why is this call asynchronous', same: false },
  { a: 'why did we replace moment with dayjs', b: 'why did we replace dayjs with moment', same: false },
];
