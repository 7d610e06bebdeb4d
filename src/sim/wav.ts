/** Writes real, playable PCM WAV files for simulated recordings (a tone, so a player shows audio). */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface WavFormat {
  sampleRate: number;
  channels: 1 | 2;
}

export function wavHeader(format: WavFormat, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = format.channels * 2;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(format.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** PCM samples: caller 440 Hz on the left, callee 660 Hz on the right; silence where masked. */
export function toneSamples(format: WavFormat, samples: number, startSample: number, silent: boolean): Buffer {
  const buf = Buffer.alloc(samples * format.channels * 2);
  if (silent) return buf;
  for (let i = 0; i < samples; i++) {
    const t = (startSample + i) / format.sampleRate;
    const left = Math.round(Math.sin(2 * Math.PI * 440 * t) * 8000);
    buf.writeInt16LE(left, i * format.channels * 2);
    if (format.channels === 2) buf.writeInt16LE(Math.round(Math.sin(2 * Math.PI * 660 * t) * 8000), i * 4 + 2);
  }
  return buf;
}

/** Creates the file and writes the audio in one go (the simulator knows the duration at stop). */
export function writeWav(path: string, format: WavFormat, segments: Array<{ samples: number; silent: boolean }>): number {
  const fd = openSync(path, 'w', 0o640);
  try {
    const total = segments.reduce((n, s) => n + s.samples, 0);
    const dataBytes = total * format.channels * 2;
    writeSync(fd, wavHeader(format, dataBytes));
    let at = 0;
    for (const seg of segments) {
      for (let done = 0; done < seg.samples; done += format.sampleRate) {
        const n = Math.min(format.sampleRate, seg.samples - done);
        writeSync(fd, toneSamples(format, n, at + done, seg.silent));
      }
      at += seg.samples;
    }

    return 44 + dataBytes;
  } finally {
    closeSync(fd);
  }
}
