// The one duration grammar lives in src/duration.ts (settings read it too).
export { parseDuration } from '../duration.js';
