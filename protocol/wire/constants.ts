// Shared immutable defaults: a zero-length Buffer cannot be written to, so one
// instance can be handed out as the default of every bytes field.
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)

// Kafka prints UUIDs as unpadded base64url; this is the all-zero one.
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'
