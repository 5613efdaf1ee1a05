// Colour only on a terminal, never with NO_COLOR; --color / --no-color override.
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export function makeColors(stream: NodeJS.WriteStream | NodeJS.WritableStream, force?: boolean): Colors {
  const isTty = 'isTTY' in stream && Boolean((stream as NodeJS.WriteStream).isTTY);
  const enabled = force ?? (isTty && !('NO_COLOR' in process.env && process.env.NO_COLOR !== ''));
  return pc.createColors(enabled);
}
