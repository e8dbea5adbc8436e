import { describe, expect, it } from 'vitest';
import {
  CLASS_FOLDERS,
  COMFYUI_FOLDERS,
  folderTableRows,
  unplacedCivitaiTypes,
} from '@modeldock/engine';

describe('the folder table as Settings shows it', () => {
  it('has one row per ComfyUI folder, each with the kinds and Civitai types placed there', () => {
    const rows = folderTableRows();
    expect(rows.map((row) => row.folder)).toEqual(COMFYUI_FOLDERS.map((entry) => entry.folder));
    const byFolder = new Map(rows.map((row) => [row.folder, row]));
    expect(byFolder.get('vae')).toMatchObject({ modelClasses: ['vae'], civitaiTypes: ['vae'] });
    expect(byFolder.get('loras')!.civitaiTypes).toEqual(['lora', 'locon', 'dora', 'lycoris']);
    expect(byFolder.get('ultralytics/bbox')).toMatchObject({
      modelClasses: ['detector_bbox'],
      civitaiTypes: ['detection'],
    });
    expect(byFolder.get('diffusers')).toMatchObject({ modelClasses: [], civitaiTypes: [] });
  });

  it('places every kind of file in a listed folder, and names the Civitai types nothing reads', () => {
    const listed = new Set(folderTableRows().map((row) => row.folder));
    for (const folder of Object.values(CLASS_FOLDERS)) expect(listed.has(folder)).toBe(true);
    const placed = folderTableRows().flatMap((row) => row.modelClasses);
    expect(new Set(placed).size).toBe(Object.keys(CLASS_FOLDERS).length);
    expect(unplacedCivitaiTypes()).toEqual([
      'aestheticgradient',
      'poses',
      'wildcards',
      'workflows',
      'other',
    ]);
  });
});
