/**
 * Where a config file's JSON goes wrong, told without its text: the file may hold passwords, and
 * V8's own messages quote the text around the error (`Unexpected token 'h', ..."WORD": hunter2}"`).
 */
import { parse, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';

const WHAT: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a setting name (in double quotes) was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a ":" was expected',
  CommaExpected: 'a "," was expected',
  CloseBraceExpected: 'a closing "}" was expected',
  CloseBracketExpected: 'a closing "]" was expected',
  EndOfFileExpected: 'nothing more was expected after the object',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'comments are not allowed',
  UnexpectedEndOfString: 'a string is not closed on its line',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'a malformed \\u escape',
  InvalidEscapeCharacter: 'a malformed \\ escape',
  InvalidCharacter: 'a control character inside a string',
};

export interface JsonPosition {
  line: number;
  column: number;
  /** What is wrong, in words that quote nothing of the text. */
  what: string;
}

/** Line and column (1-based) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The first syntax error of strict JSON text (no comments, no trailing commas), if any. */
export function firstJsonError(text: string): JsonPosition | undefined {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return text.trim() === '' ? { line: 1, column: 1, what: 'the file is empty' } : undefined;
  return { ...lineAndColumn(text, first.offset), what: WHAT[printParseErrorCode(first.error)] ?? 'invalid JSON' };
}

/** Line and column of the top-level property `key` of a JSON object text. */
export function keyPosition(text: string, key: string): { line: number; column: number } | undefined {
  const property = parseTree(text)?.children?.find((p) => p.children?.[0]?.value === key);
  return property ? lineAndColumn(text, property.offset) : undefined;
}
