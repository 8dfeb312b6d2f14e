/** A prerequisite is not there (yet): the row prints "not available: <reason>" instead of failing the run. */
export class Unavailable extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Unavailable';
  }
}

export function reasonOf(error: unknown): string {
  if (error instanceof Unavailable) return error.message;
  const e = error as { message?: string; code?: string };
  return (e?.message || e?.code || String(error)).split('\n')[0]!.slice(0, 300);
}
