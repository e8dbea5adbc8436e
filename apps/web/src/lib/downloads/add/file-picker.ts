/**
 * The file picker of a repository or folder preview: which files are ticked, which folder each goes
 * to, how they group (GGUF quantisations together), what a download of the ticks fetches, and the
 * `files` list the request carries. Pure: the component keeps the state, this decides.
 */
import type { ListedFile } from '../../api/types';
import { formatBytes } from '../../shared/format';
import { fileCountText } from './preview-display';

/** What the person chose for one file. */
export interface FilePick {
  ticked: boolean;
  /** '' keeps the detected folder. */
  folder: string;
}

export type Picks = Record<string, FilePick>;

export interface PickerGroup {
  /** "Model files", "Q8_0", "Other files". */
  title: string;
  /** The quantisation when the group is one. */
  quantisation: string | null;
  files: ListedFile[];
}

/**
 * The ticks a preview starts with: the server's default selection; when that is empty because the
 * repository offers several quantisations, the remembered one if the repository has it.
 */
export function initialPicks(
  listing: readonly ListedFile[],
  rememberedQuantisation: string | null,
): Picks {
  const picks: Picks = {};
  for (const file of listing) picks[file.path] = { ticked: file.selected, folder: '' };
  const nothingSelected = !listing.some((file) => file.selected);
  if (nothingSelected && rememberedQuantisation) {
    const wanted = rememberedQuantisation.toLowerCase();
    for (const file of listing)
      if (file.group !== null && file.group.toLowerCase() === wanted)
        picks[file.path]!.ticked = true;
  }
  return picks;
}

/** Weights first (one group per quantisation when there are several), everything else last. */
export function pickerGroups(listing: readonly ListedFile[]): PickerGroup[] {
  const models: ListedFile[] = [];
  const quantised = new Map<string, ListedFile[]>();
  const others: ListedFile[] = [];
  for (const file of listing) {
    if (file.group !== null) {
      const group = quantised.get(file.group) ?? [];
      group.push(file);
      quantised.set(file.group, group);
    } else if (file.role === 'weights') models.push(file);
    else others.push(file);
  }
  const groups: PickerGroup[] = [];
  if (models.length > 0) groups.push({ title: 'Model files', quantisation: null, files: models });
  for (const [quantisation, files] of quantised)
    groups.push({ title: quantisation, quantisation, files });
  if (others.length > 0)
    groups.push({
      title: 'Other files (documentation, configuration)',
      quantisation: null,
      files: others,
    });
  return groups;
}

/** The quantisation every ticked GGUF file shares, to remember for the next repository; else null. */
export function tickedQuantisation(listing: readonly ListedFile[], picks: Picks): string | null {
  const groups = new Set(
    listing
      .filter((file) => picks[file.path]?.ticked && file.group !== null)
      .map((file) => file.group),
  );
  return groups.size === 1 ? [...groups][0]! : null;
}

/** The folder a ticked file lands in: the person's choice, else the detected one (null: must choose). */
export function destinationOf(file: ListedFile, pick: FilePick | undefined): string | null {
  const fileName = file.path.slice(file.path.lastIndexOf('/') + 1);
  if (pick?.folder) return `${pick.folder.replace(/\/+$/, '')}/${fileName}`;
  return file.relativePath;
}

/** Ticked files that need a folder chosen before they can be downloaded. */
export function filesNeedingFolder(listing: readonly ListedFile[], picks: Picks): ListedFile[] {
  return listing.filter(
    (file) => picks[file.path]?.ticked && destinationOf(file, picks[file.path]) === null,
  );
}

export interface PickedTotals {
  ticked: number;
  /** Ticked files that will be fetched (not already at their destination). */
  toFetch: number;
  /** Bytes of those, null when one size is unknown. */
  bytesToFetch: number | null;
  alreadyHere: number;
}

export function pickedTotals(listing: readonly ListedFile[], picks: Picks): PickedTotals {
  let ticked = 0;
  let toFetch = 0;
  let alreadyHere = 0;
  let bytes: number | null = 0;
  for (const file of listing) {
    const pick = picks[file.path];
    if (!pick?.ticked) continue;
    ticked++;
    // A file moved to another folder is checked there by the download itself.
    if (file.onDisk === 'present' && !pick.folder) {
      alreadyHere++;
      continue;
    }
    toFetch++;
    bytes = bytes === null || file.size === null ? null : bytes + file.size;
  }
  return { ticked, toFetch, bytesToFetch: bytes, alreadyHere };
}

/** "2 files · 8.40 MB to download, 1 already here": only what will be fetched is counted. */
export function totalsText(totals: {
  toFetch: number;
  bytesToFetch: number | null;
  alreadyHere: number;
}): string {
  const size = totals.bytesToFetch === null ? 'size unknown' : formatBytes(totals.bytesToFetch);
  const here = totals.alreadyHere > 0 ? `, ${totals.alreadyHere} already here` : '';
  if (totals.toFetch === 0)
    return totals.alreadyHere > 0 ? `nothing to download${here}` : 'no file ticked';
  return `${fileCountText(totals.toFetch)} · ${size} to download${here}`;
}

/** The request's `files`: exactly the ticked paths, each with its chosen folder. */
export function pickedFilesRequest(
  listing: readonly ListedFile[],
  picks: Picks,
): Array<{ path: string; folder?: string }> {
  return listing
    .filter((file) => picks[file.path]?.ticked)
    .map((file) => {
      const folder = picks[file.path]!.folder.trim();
      return folder ? { path: file.path, folder } : { path: file.path };
    });
}

/** Ticks (or unticks) every file of a group at once. */
export function withGroupTicked(picks: Picks, group: PickerGroup, ticked: boolean): Picks {
  const next: Picks = { ...picks };
  for (const file of group.files)
    next[file.path] = { ...(next[file.path] ?? { folder: '' }), ticked };
  return next;
}

/** A group's checkbox: all ticked, none, or some (indeterminate). */
export function groupState(picks: Picks, group: PickerGroup): 'all' | 'none' | 'some' {
  const ticked = group.files.filter((file) => picks[file.path]?.ticked).length;
  return ticked === 0 ? 'none' : ticked === group.files.length ? 'all' : 'some';
}

/** Sum of a group's sizes, "size unknown" when one is. */
export function groupSizeText(group: PickerGroup): string {
  let total = 0;
  for (const file of group.files) {
    if (file.size === null) return 'size unknown';
    total += file.size;
  }
  return formatBytes(total);
}
