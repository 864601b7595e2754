// Bounds what one connection can make the engine buffer. The engine's reader keeps a line
// until its CRLF with no limit, and a command until its last literal, so a client could
// hold megabytes of memory per connection. Over IMAP_MAX_COMMAND_BYTES the connection is
// ended with `* BYE <LINE_TOO_LONG>`. APPEND literals are bounded by APPENDLIMIT instead.
import type { EngineConnection, EngineServer, EngineSession } from './engine.js';
import { IMAP_MAX_COMMAND_BYTES } from './limits.js';

export const LINE_TOO_LONG = 'Command line too long';

/** Bytes of the command being read, without APPEND's message literal. */
function pendingBytes(connection: EngineConnection): number {
  const reader = connection._parser;
  let bytes = reader ? reader._remainder.length : 0;
  const command = connection._currentCommand;
  if (command) {
    bytes += command.payload.length;
    if (command.command !== 'APPEND') for (const literal of command.literals) bytes += literal.length;
  }
  return bytes;
}

function guard(connection: EngineConnection, limit: number): void {
  const reader = connection._parser;
  if (!reader) return;
  const write = reader._write.bind(reader);
  reader._write = (chunk, encoding, done) => {
    write(chunk, encoding, (err) => {
      if (pendingBytes(connection) <= limit) {
        done(err);
        return;
      }
      // Not calling `done` stops reading from the socket; the buffered line is dropped.
      reader._remainder = '';
      connection.send(`* BYE ${LINE_TOO_LONG}`);
      connection.close();
    });
  };
}

/** The engine's onConnect hook: guards the reader of each new connection. */
export function onConnect(server: EngineServer, limit = IMAP_MAX_COMMAND_BYTES) {
  return (session: EngineSession, done: (err?: Error) => void): void => {
    for (const connection of server.connections) {
      if (connection.session === session) guard(connection, limit);
    }
    done();
  };
}
