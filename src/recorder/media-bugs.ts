/**
 * Reads `uuid_buglist <uuid>`: the files FreeSWITCH is recording on a channel right now (media bugs whose
 * function is session_record; see test/fixtures/freeswitch-esl/15-uuid-buglist.txt). FreeSWITCH is the
 * only one who knows whether a file is still being written.
 */
export function mediaBugTargets(reply: string): Set<string> {
  const targets = new Set<string>();
  for (const bug of reply.split('<media-bug>').slice(1)) {
    const fn = /<function>([^<]*)<\/function>/.exec(bug)?.[1]?.trim();
    const target = /<target>([^<]*)<\/target>/.exec(bug)?.[1]?.trim();
    if (fn === 'session_record' && target) targets.add(decodeXml(target));
  }
  return targets;
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}
