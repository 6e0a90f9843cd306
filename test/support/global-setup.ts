// Placeholder: replaced by the S3 launcher's global setup.
export default async function setup(): Promise<void> {}
