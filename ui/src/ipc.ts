// Typed wrappers around the shell's Tauri commands. Hand-written: they mirror
// `src-tauri/src/commands/` and `src-tauri/src/views.rs`; keep them in step.
import { Channel, convertFileSrc, invoke } from "@tauri-apps/api/core";
import type { Eta, Tier, TierEstimate } from "./lib/restore";

/** The library's counts, as `trove stats --json` prints them. */
export interface Stats {
  assets: number;
  locations: number;
  sources: number;
  offline: number;
  missing: number;
  sidecars: number;
  offline_sources: number;
  media_types: Record<string, number>;
  change_seq: number;
}

/** The one error shape that crosses IPC (`src-tauri/src/error.rs`). */
export interface IpcError {
  kind: "notFound" | "invalidInput" | "conflict" | "io" | "internal";
  message: string;
  detail?: string | null;
}

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** A readable line for any error a command throws. */
export function errorText(error: unknown): string {
  if (isIpcError(error)) {
    return error.detail ? `${error.message}\n${error.detail}` : error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}

export interface Filmstrip {
  sprite: string;
  frames: number;
  columns: number;
  tileWidth: number;
  tileHeight: number;
}

export type Badge = "offline" | "archived" | "restoring" | "ready" | "duplicate";

export interface AssetItem {
  id: number;
  title: string;
  mediaType: string;
  path: string | null;
  size: number;
  duration: number | null;
  dimensions: string | null;
  badges: Badge[];
  poster: string | null;
  filmstrip: Filmstrip | null;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface SearchPage {
  total: number;
  offset: number;
  items: AssetItem[];
  facets: Record<string, FacetValue[]>;
  /** The facet counts are estimates from a sample of a large result set. */
  facetsEstimated: boolean;
}

export interface SearchRequest {
  query: string;
  offset: number;
  limit: number;
  sort: string | null;
  collection: string | null;
  facets: boolean;
}

export interface Location {
  id: number;
  source_id: number;
  uri: string;
  path?: string;
  size: number;
  mtime_ns: number | null;
  mime: string | null;
  role: string;
  storage_class?: string;
  state: string;
  online: boolean;
}

export interface Claim {
  field: string;
  value: unknown;
  source: string;
  source_key?: string;
  location_id?: number;
  observed_at: number;
}

export interface AssetView {
  id: number;
  title: string;
  media_type: string;
  metadata: Record<string, unknown>;
  provenance: Record<string, string>;
  claims: Claim[];
  conflicts?: Record<string, Claim[]>;
  errors: string[];
  online: boolean;
  locations: Location[];
}

export interface PreviewView {
  poster: string | null;
  posterLarge: string | null;
  proxy: string | null;
  filmstrip: Filmstrip | null;
  waveform: string | null;
  duration: number | null;
}

export interface AssetDetail {
  asset: AssetView;
  previews: PreviewView | null;
  badges: Badge[];
}

export interface FieldEdit {
  field: string;
  op: "set" | "add" | "remove";
  value: string;
}

export interface MetaSetReport {
  batch: number;
  assets: number;
  edits: number;
}

export interface UndoReport {
  batch: number;
  command: string;
  edits: number;
}

export interface Source {
  id: number;
  kind: string;
  uri: string;
  path?: string;
  online: boolean;
  locations: number;
  last_scan_at: number | null;
}

export interface ScanMessage {
  source: string;
  files: number;
  unchanged: number;
  written: number;
  problems: number;
  done: boolean;
}

export interface ScanReport {
  source: string;
  files: number;
  added: number;
  updated: number;
  moved: number;
  missing: number;
  unchanged: number;
  online: boolean;
  elapsed_ms: number;
}

export interface WatchStatus {
  watching: boolean;
  lastEvent: string | null;
  error: string | null;
}

export interface JobStats {
  queued: number;
  paused: number;
  queue_paused: boolean;
  running: number;
  done: number;
  failed: number;
}

export interface JobView {
  id: number;
  kind: string;
  state: string;
  asset_id: number | null;
  attempts: number;
  error: string | null;
  priority: number;
  progress: number;
  detail: { fps: number | null; eta_secs: number | null } | null;
}

export interface JobsSnapshot {
  stats: JobStats;
  jobs: JobView[];
  runnerBusy: boolean;
}

export type JobMessage =
  | { event: "started" }
  | { event: "progress"; id: number; fraction: number; fps: number | null; etaSecs: number | null }
  | { event: "done"; id: number; path: string }
  | { event: "failed"; id: number; path: string; error: string; retrying: boolean }
  | { event: "idle"; done: number; failed: number };

export interface Collection {
  id: number;
  name: string;
  query: string | null;
  sort: string | null;
  members: number;
  created_at: number;
}

export interface DupeCopy {
  locationId: number;
  assetId: number | null;
  title: string | null;
  path: string;
  size: number;
  mtimeNs: number | null;
  action: "keep" | "remove" | "skip";
  reason: string | null;
  poster: string | null;
}

export interface DupesReview {
  policy: string;
  dryRun: boolean;
  groups: { hash: string; copies: DupeCopy[] }[];
  removed: number;
  bytes: number;
  batch: number | null;
  /** What to know before applying (early deletion charges of archive classes). */
  warnings: string[];
  /** Copies that could not be checked or removed, each naming its path or key. */
  errors: string[];
}

/** An asset-protocol URL for a file in the previews folder (the only folder it serves). */
export function previewUrl(path: string): string {
  return convertFileSrc(path);
}

/** Which assets a restore command is about: grid ids and/or a search query. */
export interface RestoreSelection {
  ids: number[];
  query: string | null;
}

export interface RestoreOptions {
  tier: Tier;
  days: number;
}

/** One object of a plan (`trove_engine::PlannedRestore`, decision flattened). */
export interface PlannedRestore {
  asset: number;
  uri: string;
  bytes: number;
  class: string | null;
  decision: "restore" | "no_restore_needed" | "already_in_progress" | "refused";
  reason?: string;
  kind?: string;
  expiry?: number | null;
  message: string;
}

/** `trove restore plan --json`. */
export interface RestorePlan {
  request: { tier: Tier; days: number };
  to_restore: number;
  bytes: number;
  no_restore_needed: number;
  in_progress: number;
  refused: number;
  objects: PlannedRestore[];
  estimate: TierEstimate & { eta: Eta | null };
  by_tier: TierEstimate[];
  prices_as_of: string;
  prices_region: string;
  currency: string;
}

export interface RestoreRunSummary {
  requested: number;
  checked: number;
  ready: number;
  failed: string[];
  retrying: number;
}

export interface RestoreStart {
  plan: RestorePlan;
  batch_id: number | null;
  recorded: number;
  run: RestoreRunSummary;
}

/** One restore of the queue (`trove_catalog::RestoreRow`). */
export interface RestoreRow {
  id: number;
  location: number;
  asset: number | null;
  uri: string;
  size: number;
  class: string;
  tier: string;
  days: number | null;
  requested_at: number;
  state: string;
  expiry: number | null;
  last_checked: number | null;
  next_check: number | null;
  checks: number;
  error: string | null;
  batch_id: number;
}

export type RestoreEvent =
  | { event: "batch_ready"; batch_id: number; ready: number; not_ready: number }
  | { event: "expires_soon"; uri: string; expiry: number };

export interface RestoreStatus {
  counts: { pending: number; in_progress: number; ready: number; expired: number; failed: number };
  restores: RestoreRow[];
  events: RestoreEvent[];
  run: RestoreRunSummary;
}

export interface DownloadReport {
  downloaded: { asset: number; uri: string; path: string | null; bytes: number; verification: string; already_present: boolean }[];
  problems: string[];
}

/** An S3 bucket or Glacier vault to add as a source. */
export interface RemoteSource {
  uri: string;
  profile: string | null;
  region: string | null;
  endpointUrl: string | null;
  pathStyle: boolean;
}

export const api = {
  libraryStats: () => invoke<Stats>("library_stats"),
  search: (request: SearchRequest) => invoke<SearchPage>("search", { request }),
  assetShow: (id: number) => invoke<AssetDetail>("asset_show", { id }),
  metaSet: (ids: number[], edits: FieldEdit[]) => invoke<MetaSetReport>("meta_set", { ids, edits }),
  undo: (batch: number | null) => invoke<UndoReport>("undo", { batch }),
  reveal: (id: number) => invoke<void>("asset_reveal", { id }),
  open: (id: number) => invoke<void>("asset_open", { id }),
  /** Starts a native drag of these assets' files; resolves to how many files it carries. */
  drag: (ids: number[]) => invoke<number>("asset_drag", { ids }),
  collections: () => invoke<Collection[]>("collections_list"),
  saveSearch: (name: string, query: string) => invoke<unknown>("saved_search_create", { name, query }),
  collectionAdd: (name: string, ids: number[]) => invoke<unknown>("collection_add", { name, ids }),
  sources: () => invoke<Source[]>("sources_list"),
  pickFolder: () => invoke<string | null>("source_pick_folder"),
  sourceAdd: (path: string) => invoke<Source>("source_add", { path }),
  scan: (sources: string[], onProgress: (m: ScanMessage) => void) => {
    const channel = new Channel<ScanMessage>();
    channel.onmessage = onProgress;
    return invoke<ScanReport[]>("source_scan", { sources, onProgress: channel });
  },
  watchStart: () => invoke<WatchStatus>("watch_start"),
  watchStop: () => invoke<WatchStatus>("watch_stop"),
  watchStatus: () => invoke<WatchStatus>("watch_status"),
  jobs: () => invoke<JobsSnapshot>("jobs_list"),
  jobsSubscribe: (onMessage: (m: JobMessage) => void) => {
    const channel = new Channel<JobMessage>();
    channel.onmessage = onMessage;
    return invoke<void>("jobs_subscribe", { channel });
  },
  jobsCancel: (ids: number[]) => invoke<number>("jobs_cancel", { ids }),
  jobsRetry: (ids: number[]) => invoke<number>("jobs_retry", { ids }),
  makePreviews: () => invoke<number>("previews_make"),
  dupes: (policy: string, apply: boolean) => invoke<DupesReview>("dupes_review", { policy, apply }),
  restorePlan: (selection: RestoreSelection, options: RestoreOptions) => invoke<RestorePlan>("restore_plan", { selection, options }),
  restoreStart: (selection: RestoreSelection, options: RestoreOptions) => invoke<RestoreStart>("restore_start", { selection, options }),
  restoreStatus: (refresh: boolean) => invoke<RestoreStatus>("restore_status", { refresh }),
  restoreDownload: (selection: RestoreSelection) => invoke<DownloadReport | null>("restore_download", { selection }),
  sourceAddRemote: (source: RemoteSource) => invoke<Source>("source_add_remote", { source }),
};
