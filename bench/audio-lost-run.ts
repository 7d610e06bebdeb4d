/** `make bench-start`: section 8 of `make bench` alone (audio lost at the start of a call). */
import { AUDIO_LOST_BENCH, AUDIO_LOST_HEADING, measureAudioLostAtStart, printAudioLost } from './audio-lost';

async function main(): Promise<void> {
  console.log(AUDIO_LOST_HEADING);
  printAudioLost(await measureAudioLostAtStart(AUDIO_LOST_BENCH));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
