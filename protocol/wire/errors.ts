// Malformed or unrepresentable wire data. Connection handlers catch this one
// type to tell a bad peer (answer or drop the connection) from a broker bug.
export class ProtocolError extends Error {
  override name = 'ProtocolError'
}
