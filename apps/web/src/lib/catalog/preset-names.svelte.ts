/** Preset id → name, read once, so a bundle started from a preset is titled by its name. */
import { listPresets } from '$lib/downloads/add/source-actions';

class PresetNames {
  names = $state<Record<string, string>>({});
  #asked = false;

  /** Reads the presets the first time a card needs them; a failed read is asked again next time. */
  load(): void {
    if (this.#asked) return;
    this.#asked = true;
    void listPresets().then((outcome) => {
      if (outcome.ok)
        this.names = Object.fromEntries(outcome.value.map((preset) => [preset.id, preset.name]));
      else this.#asked = false;
    });
  }
}

export const presetNames = new PresetNames();
