/** Idempotency-Key: the plugin that replays answers, and how services record theirs. */
export { default as idempotencyPlugin, type IdempotentRequest } from './plugin.ts';
export { insertAnswer as rememberAnswer, rememberAnswersFrom, rememberAnswerValues } from './repository.ts';
