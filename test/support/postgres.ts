// Placeholder: the real PostgreSQL test servers arrive with the database work.
export async function startTestServers(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  return { env: {}, stop: async () => {} };
}
