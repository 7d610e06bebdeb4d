/** The embedded configuration `fsrecd demo` runs with: loopback simulator, local storage in a temp dir. */
export function demoYaml(opts: { port: number; password: string; dir: string }): string {
  return `
esl: {host: 127.0.0.1, port: ${opts.port}, password: "${opts.password}", reconnect_min_ms: 50, reconnect_max_ms: 500}
spool_dir: ${opts.dir}/spool
state_dir: ${opts.dir}/state
http: {listen: null}
call_recording:
  filename_template: "{{ tenant_uuid }}/{{ utc_time }}-{{ srcnum }}-{{ dstnum }}"
  filename_extension: wav
network: {external_contexts: [public], external_number_patterns: ['^\\+?[0-9]{8,}$']}
recording: {min_seconds: 0, stereo: true}
accounts:
  pbx.demo:
    tenant_uuid: acme
    record_account: {inbound: {external: on}}
    users:
      alice: {record: {outbound: on}}
      bob: {}
      carol: {record: on}
    devices:
      "1000": {user: alice}
      "1001": {user: bob}
      "1002": {user: carol, record: off}
storage: {type: local, dir: ${opts.dir}/recordings}
upload: {retry_min_ms: 50, retry_max_ms: 500, orphan_stable_ms: 60000}
`;
}
