// Where tests find the machine's services. Overridable for other machines.
export const TEST_POSTGRES_URL = process.env.LNMP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.LNMP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
