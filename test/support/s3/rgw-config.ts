// The ceph.conf of a throwaway single-node cluster for Ceph's RADOS Gateway (one monitor, one memstore OSD, one
// gateway), every path inside one temporary directory so that several clusters can run side by side.

/** The Debian packages the gateway pass needs, and the line that installs them (named in every "missing" error). */
export const RGW_PACKAGES = ["ceph-mon", "ceph-osd", "radosgw", "ceph-common"] as const;
export const RGW_INSTALL_LINE = `apt-get update && apt-get install -y --no-install-recommends ${RGW_PACKAGES.join(" ")}`;

/** The programs the launcher runs, and the package each one comes from. */
export const RGW_PROGRAMS: Readonly<Record<string, string>> = {
  monmaptool: "ceph-common",
  ceph: "ceph-common",
  "ceph-mon": "ceph-mon",
  "ceph-osd": "ceph-osd",
  radosgw: "radosgw",
  "radosgw-admin": "radosgw",
};

export interface RgwConfigInput {
  fsid: string;
  /** The temporary directory that holds everything. */
  dir: string;
  monPort: number;
  rgwPort: number;
  /** The memstore's reported size, bytes (data lives in RAM; this only caps it). */
  storeBytes: number;
}

/** The subdirectories ceph.conf names; the launcher creates them before the first daemon starts. */
export const RGW_SUBDIRS = ["run", "log", "crash", "mon/ceph-a", "osd/ceph-0", "rgw/ceph-rgw.a"] as const;

/** ceph.conf for the cluster: no authentication, msgr2 only on loopback, pools of size 1, a fast paxos. */
export function renderCephConf(c: RgwConfigInput): string {
  const d = c.dir;
  return `[global]
fsid = ${c.fsid}
mon_host = v2:127.0.0.1:${c.monPort}
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# The default (secure) needs cephx: without crc the gateway retries forever with "get_initial_auth_request returned -13".
ms_mon_client_mode = crc
ms_bind_msgr1 = false
ms_bind_msgr2 = true
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
run_dir = ${d}/run
admin_socket = ${d}/run/$name.asok
pid_file = ${d}/run/$name.pid
log_file = ${d}/log/$name.log
crash_dir = ${d}/crash
mon_data = ${d}/mon/$cluster-$id
osd_data = ${d}/osd/$cluster-$id
osd_objectstore = memstore
memstore_device_bytes = ${c.storeBytes}
rgw_data = ${d}/rgw/$cluster-$id
rgw_frontends = beast endpoint=127.0.0.1:${c.rgwPort}

[mon]
# With the 1 s defaults every pool the gateway creates waits for a proposal: ~12 s to ready instead of ~2 s.
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
`;
}
