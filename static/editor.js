// Pattern-pair and protocol editors (form[data-editor]):
//   - live previews of each pattern (fieldset[data-pattern]) from
//     GET /api/v1/stimuli/preview, as a neutral test pattern and in both
//     induction colours, updated (debounced) while typing;
//   - kind-specific inputs ([data-kinds="radial"]) shown for their kinds;
//   - test-method blocks ([data-method]) shown for the chosen method;
//   - colour pickers next to the hex inputs.
// Hidden inputs are still submitted; the server ignores those that do not
// apply. Without JavaScript every input is shown and the server-rendered
// previews show the patterns as last saved.

const PREVIEW_SIZE = 160;
const DEBOUNCE_MS = 250;
const HEX = /^#[0-9a-fA-F]{6}$/;

function labelOf(el) {
  const l = el.labels && el.labels[0];
  return l ? l.textContent.trim() : el.name;
}

// readPattern builds a pattern spec from a fieldset's inputs, as the
// server does from the submitted form.
function readPattern(fs) {
  const get = (f) => fs.querySelector(`[data-field="${f}"]`);
  const kind = get("kind").value;
  const spec = { kind };
  const problems = [];
  // An input inside [data-kinds] applies only to the kinds it lists.
  const applies = (el) => {
    const box = el.closest("[data-kinds]");
    return !box || box.dataset.kinds.split(" ").includes(kind);
  };
  const number = (f, whole) => {
    const el = get(f);
    if (!el || !applies(el)) return;
    const text = el.value.trim();
    if (text === "") return; // the default
    const n = Number(text);
    if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) {
      problems.push(`${labelOf(el)}: “${text}” is not a ${whole ? "whole " : ""}number`);
      return;
    }
    spec[f] = n;
  };
  number("orientation_deg");
  number("period_px");
  number("duty");
  number("phase");
  spec.waveform = get("waveform").value;
  number("spokes", true);
  number("line_width_px");
  return { spec, problems };
}

// Server field names in a preview error, in the editor's words.
function explain(field, message, fs) {
  if (field.startsWith("spec.")) {
    const name = field.slice(5).replace(/^pattern\./, "");
    const el = fs.querySelector(`[data-field="${name}"]`);
    return `${el ? labelOf(el) : name} ${message}`;
  }
  if (field === "color") return `Induction colour ${message}`;
  return `${field || "Preview"}: ${message}`;
}

function setupEditor(form) {
  const colourInput = (which) => form.querySelector(`[data-color="${which}"]`);

  const refSize = () => {
    if (form.dataset.refSize) return parseInt(form.dataset.refSize, 10);
    const el = form.querySelector("input[data-ref-size]");
    return el ? parseInt(el.value, 10) : 0;
  };

  const patterns = [...form.querySelectorAll("fieldset[data-pattern]")].map((fs) => {
    const imgs = [...fs.querySelectorAll("img[data-preview]")];
    const status = fs.querySelector("[data-preview-status]");
    const kindSelect = fs.querySelector('[data-field="kind"]');
    let generation = 0;
    let timer = 0;

    const showKindFields = () => {
      for (const el of fs.querySelectorAll("[data-kinds]")) {
        el.hidden = !el.dataset.kinds.split(" ").includes(kindSelect.value);
      }
    };

    const update = () => {
      const { spec, problems } = readPattern(fs);
      if (problems.length) {
        status.textContent = "Preview not updated: " + problems.join("; ") + ".";
        return;
      }
      const stim = { pattern: spec };
      const dark = colourInput("dark") ? colourInput("dark").value.trim() : "";
      if (dark) stim.dark = dark;
      const lText = colourInput("neutral_l") ? colourInput("neutral_l").value.trim() : "";
      const l = Number(lText);
      if (lText !== "" && Number.isFinite(l) && l > 0 && l < 100) stim.neutral_l = l;
      const ref = refSize();
      if (ref >= 64 && ref <= 2048) stim.ref_size_px = ref;
      const base = `/api/v1/stimuli/preview?size=${PREVIEW_SIZE}&spec=${encodeURIComponent(JSON.stringify(stim))}`;
      const gen = ++generation;
      const failures = [];
      let pending = imgs.length;
      const done = () => {
        if (--pending > 0 || gen !== generation) return;
        status.textContent = failures.length ? "Preview: " + [...new Set(failures)].join("; ") + "." : "";
      };
      for (const img of imgs) {
        let url = base + "&tint=0";
        if (img.dataset.preview !== "neutral") {
          const c = colourInput(img.dataset.preview);
          url = base + "&color=" + encodeURIComponent(c ? c.value.trim() : "");
        }
        if (img.getAttribute("src") === url && img.complete && img.naturalWidth > 0) {
          done();
          continue;
        }
        img.dataset.state = "loading";
        img.onload = () => {
          if (gen !== generation) return;
          img.dataset.state = "loaded";
          done();
        };
        img.onerror = async () => {
          if (gen !== generation) return;
          img.dataset.state = "error";
          // The image request failed: ask again for the JSON reason.
          try {
            const res = await fetch(url, { headers: { Accept: "application/json" } });
            const body = await res.json();
            const fields = body.fields && body.fields.length ? body.fields : [{ field: "", error: body.error }];
            for (const f of fields) failures.push(explain(f.field, f.error, fs));
          } catch {
            failures.push("the preview could not be loaded");
          }
          done();
        };
        img.src = url;
      }
    };

    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(update, DEBOUNCE_MS);
    };

    kindSelect.addEventListener("change", showKindFields);
    showKindFields();
    fs.addEventListener("input", schedule);
    fs.addEventListener("change", schedule);
    if (imgs.some((img) => !img.getAttribute("src"))) update();
    return { schedule };
  });

  // Colours and the stimulus size concern every pattern's previews.
  const updateAll = () => patterns.forEach((p) => p.schedule());
  for (const el of form.querySelectorAll("[data-color], input[data-ref-size]")) {
    el.addEventListener("input", updateAll);
  }

  // Colour pickers mirror the hex inputs (which stay the real fields).
  for (const picker of form.querySelectorAll("input[type=color][data-picker-for]")) {
    const text = document.getElementById(picker.dataset.pickerFor);
    if (!text) continue;
    const sync = () => {
      if (HEX.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
    };
    sync();
    picker.hidden = false;
    picker.addEventListener("input", () => {
      text.value = picker.value;
      text.dispatchEvent(new Event("input", { bubbles: true }));
    });
    text.addEventListener("input", sync);
  }

  // Test-method blocks.
  const method = form.querySelector("[data-method-select]");
  if (method) {
    const show = () => {
      for (const el of form.querySelectorAll("[data-method]")) el.hidden = el.dataset.method !== method.value;
    };
    method.addEventListener("change", show);
    show();
  }

  // A stored pair chosen in the protocol editor replaces the patterns
  // below on save: they are disabled (and not submitted) meanwhile.
  const storedPair = form.querySelector('select[name="pair_id"]');
  if (storedPair) {
    const show = () => {
      for (const fs of form.querySelectorAll('fieldset[data-pattern^="pair."]')) fs.disabled = storedPair.value !== "";
    };
    storedPair.addEventListener("change", show);
    show();
  }

  // The follow-up delay only applies with a follow-up.
  const followup = form.querySelector("[data-followup]");
  if (followup) {
    const show = () => {
      for (const el of form.querySelectorAll("[data-needs-followup]")) el.hidden = !followup.checked;
    };
    followup.addEventListener("change", show);
    show();
  }

  form.dataset.editorReady = "true";
}

for (const form of document.querySelectorAll("form[data-editor]")) setupEditor(form);
