/** Moved to test/support/wait.ts; re-exported for tests written on branches before the move. */
export { eventually, sleep } from './wait.ts';
