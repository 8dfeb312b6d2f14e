/**
 * The terminal's two sinks. Everything spark prints goes through one of these writers (or one the
 * Ui was given), never through process.stdout/stderr directly: redaction belongs to the output.
 * stdout carries data (`--json` is a contract); stderr carries talk.
 */
import { createRedactingWriter } from '../redact.js';

export const stdout = createRedactingWriter(process.stdout);
export const stderr = createRedactingWriter(process.stderr);
