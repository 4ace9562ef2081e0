// The proposal page: its title and state, the co-edited body (CodeMirror on the `content`
// Y.Text), a rendered preview, the save state, anchored comments in the margin and the
// amendments. Read-only for observers and for frozen proposals, with the reason, and it
// follows the proposal's state live (the room's proposal and poll events).
import { html, render } from "lit";
import { get, post } from "../api.js";
import { consultationOf, consultationPath } from "../consultations/format.js";
import { OpenConsultationForm } from "../consultations/open-form.js";
import { reference } from "../directory/reference.js";
import { mountAmendments } from "../editor/amendments.js";
import { mountEditor } from "../editor/codemirror.js";
import { CommentsMargin } from "../editor/comments.js";
import { DocumentSession } from "../editor/session.js";
import { formatDate, onLocale, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { colourFor, errorText, markdownHtml } from "../ui/dom.js";

const WRITABLE = ["draft", "discussion"];
const WRITERS = ["owner", "moderator", "participant"];
const EVENTS = ["proposal.created", "proposal.discussion", "proposal.withdrawn", "poll.opened", "poll.closed", "amendment.merged"];
const MODES = ["edit", "split", "preview"];

/** Why the text cannot be edited by this person now, or "" when it can. */
function lockReason(proposal, ctx) {
  if (proposal.state === "voting") return t("editor.frozen.voting");
  if (!WRITABLE.includes(proposal.state)) return t("editor.frozen.closed", { state: t(`editor.state.${proposal.state}`) });
  if (!ctx.me) return t("editor.frozen.signedOut");
  if (ctx.can("observer")) return t("editor.frozen.observer");
  if (!ctx.can(...WRITERS)) return t("editor.frozen.notMember");
  return "";
}

export function showProposal(container, ctx, params) {
  const slug = encodeURIComponent(ctx.slug);
  const path = `/rooms/${slug}/proposals/${encodeURIComponent(params.id)}`;
  const state = {
    proposal: null,
    error: "",
    save: "connecting",
    // text and preview side by side when the proposal is wide enough for both (editor.css)
    mode: container.getBoundingClientRect().width >= 1000 ? "split" : "edit",
    consultation: undefined, // its public consultation: undefined until known, null when none
    consulting: null, // the owner's form that opens one
    ref: null,
  };
  let session = null;
  let editor = null;
  let margin = null;
  let amendments = null;
  let previewTimer = null;
  let disposed = false;

  render(
    html`<article class="proposal" data-testid="proposal">
      <div class="proposal-head"></div>
      <div class="comment-tools"></div>
      <div class="editor-layout">
        <div class="editor-main">
          <div class="editor-pane" data-testid="editor"></div>
          <div class="preview-pane markdown" data-testid="preview" tabindex="0" aria-live="off"></div>
        </div>
        <aside class="comments-margin" aria-labelledby="comments-title"></aside>
      </div>
      <section class="amendments-part" aria-labelledby="amendments-title"></section>
    </article>`,
    container,
  );
  const head = container.querySelector(".proposal-head");
  const layout = container.querySelector(".editor-layout");
  const pane = container.querySelector(".editor-pane");
  const preview = container.querySelector(".preview-pane");
  const aside = container.querySelector(".comments-margin");
  const amendmentsHost = container.querySelector(".amendments-part");

  const reason = () => (state.proposal ? lockReason(state.proposal, ctx) : "");

  const drawHead = () => {
    const proposal = state.proposal;
    if (!proposal) {
      render(
        state.error ? html`<p class="error" role="alert">${state.error}</p>` : html`<p class="loading">${t("common.loading")}</p>`,
        head,
      );
      return;
    }
    const why = reason();
    render(
      html`
        <div class="proposal-title">
          <h1>${proposal.title}</h1>
          <span class="badge state-${proposal.state}" data-testid="proposal-state">${t(`editor.state.${proposal.state}`)}</span>
        </div>
        <nav class="proposal-links" aria-label=${t("editor.links")}>
          <a href="${path}/history" data-testid="history-link">${t("editor.history")}</a>
          <a href="#amendments-title">${t("editor.amendments")}</a>
          ${consultationLink()}
        </nav>
        ${state.consulting ? state.consulting.template(state.ref) : ""}
        ${why ? html`<p class="frozen" data-testid="frozen-reason" role="note">${why}</p>` : ""}
        ${state.denied
          ? html`<p class="error" role="alert" data-testid="edits-refused">
              ${t("editor.refused")}
              <button type="button" class="link" @click=${discardLocal}>${t("editor.discardLocal")}</button>
            </p>`
          : ""}
        <div class="editor-toolbar">
          <p class="save-state save-${state.save}" data-testid="save-state" data-state=${state.save} role="status">
            ${state.save === "saved" && why ? t("editor.save.upToDate") : t(`editor.save.${state.save}`)}
          </p>
          <div class="modes" role="group" aria-label=${t("editor.view")}>
            ${MODES.map(
              (mode) => html`<button
                type="button"
                class="secondary mode-${mode}"
                aria-pressed=${state.mode === mode ? "true" : "false"}
                data-testid="mode-${mode}"
                @click=${() => setMode(mode)}
              >
                ${t(`editor.mode.${mode}`)}
              </button>`,
            )}
          </div>
        </div>
      `,
      head,
    );
  };

  /** The link to the proposal's public consultation, or (owners, while the text may change)
   * the button that opens the form to publish one. */
  const consultationLink = () => {
    const consultation = state.consultation;
    if (consultation) {
      const label =
        consultation.state === "open"
          ? t("consultations.proposal.open", { date: formatDate(consultation.closes_at, { dateStyle: "medium" }) })
          : t(`consultations.proposal.${consultation.state}`);
      return html`<a href=${consultationPath(consultation.id)} data-testid="consultation-link">${label}</a>`;
    }
    if (consultation === null && ctx.can("owner") && WRITABLE.includes(state.proposal.state) && !state.consulting) {
      return html`<button type="button" class="link" data-testid="open-consultation" @click=${startConsulting}>
        ${t("consultations.proposal.start")}
      </button>`;
    }
    return "";
  };

  const startConsulting = () => {
    state.consulting = new OpenConsultationForm({
      redraw: drawHead,
      cancel: () => {
        state.consulting = null;
        drawHead();
      },
      submit: async (body) => {
        const opened = await post(`${path}/consultation`, body);
        state.consulting = null;
        navigate(consultationPath(opened.id));
      },
    });
    drawHead();
    reference()
      .then((ref) => {
        state.ref = ref;
        drawHead();
      })
      .catch(() => {});
  };

  const loadConsultation = async () => {
    try {
      state.consultation = await consultationOf(ctx.slug, params.id);
    } catch {
      state.consultation = undefined; // unknown: neither a link nor the button
    }
    if (!disposed) drawHead();
  };

  const drawPreview = () => {
    clearTimeout(previewTimer);
    previewTimer = null;
    if (!session || state.mode === "edit") return;
    // sanitized by DOMPurify in markdownHtml: no scripts, handlers or styles
    preview.innerHTML = markdownHtml(session.text.toString());
  };

  const setMode = (mode) => {
    state.mode = mode;
    layout.dataset.mode = mode;
    pane.hidden = mode === "preview";
    preview.hidden = mode === "edit";
    preview.setAttribute("aria-label", t("editor.preview"));
    drawPreview();
    drawHead();
    margin?.layout();
  };

  const applyLock = () => {
    const locked = Boolean(reason());
    if (session) session.readOnly = locked;
    editor?.setReadOnly(locked);
    session?.refresh();
  };

  const open = async (proposal) => {
    session = new DocumentSession(proposal.document, {
      user: ctx.me?.name ?? "",
      onState: (save) => {
        state.save = save;
        drawHead();
      },
      onDenied: () => {
        // only edits made before the freeze (offline, kept in this browser) can be refused
        if (!state.denied && session.localDirty) {
          state.denied = true;
          drawHead();
        }
      },
    });
    session.readOnly = Boolean(reason());
    await session.ready;
    await session.loaded;
    if (disposed) return;
    const me = ctx.me;
    const name = me?.display_name || me?.name || t("editor.anonymous");
    const { colour, light } = colourFor(me?.name ?? name);
    session.awareness.setLocalStateField("user", { name, color: colour, colorLight: light });
    editor = mountEditor(pane, {
      text: session.text,
      awareness: session.awareness,
      label: t("editor.label", { title: proposal.title }),
      readOnly: Boolean(reason()),
      onSelection: (from, to) => margin?.select(from, to),
      onComment: () => margin?.startDraft() ?? false,
    });
    margin = new CommentsMargin(aside, {
      tools: container.querySelector(".comment-tools"),
      document: proposal.document,
      text: session.text,
      editor,
      canComment: Boolean(ctx.me) && ctx.can("owner", "moderator", "participant", "observer"),
      settled: () => session.whenSaved(),
    });
    session.text.observe(() => {
      if (!previewTimer) previewTimer = setTimeout(drawPreview, 150);
    });
    drawPreview();
    // the anchors are resolved by the server against its text: read them once we are in sync
    const provider = session.provider;
    if (provider.synced) margin.load();
    else provider.once("sync", () => margin.load());
  };

  /** Forgets this browser's copy (its refused edits) and shows the server's text again. */
  const discardLocal = async () => {
    const proposal = state.proposal;
    margin?.destroy();
    editor?.destroy();
    await session?.forget();
    margin = editor = session = null;
    state.denied = false;
    pane.replaceChildren();
    await open(proposal);
    applyLock();
    drawHead();
  };

  const load = async () => {
    try {
      const proposal = await get(path);
      const first = state.proposal === null;
      state.proposal = proposal;
      state.error = "";
      if (first) {
        setMode(state.mode);
        amendments = mountAmendments(amendmentsHost, ctx, proposal);
        loadConsultation();
        await open(proposal);
      } else {
        amendments?.update(proposal);
      }
      applyLock();
    } catch (error) {
      state.error = error.status === 404 ? t("editor.notFound") : errorText(error, t("common.failed"));
    }
    drawHead();
  };

  const onEvent = (event) => {
    const id = event.proposal?.id ?? event.poll?.proposal_id ?? event.amendment;
    const mine = state.proposal && [state.proposal.id, state.proposal.amends].includes(id);
    if (mine || event.base === state.proposal?.id) load();
  };
  const stops = EVENTS.map((type) => ctx.live.on(type, onEvent));
  const stopRole = ctx.live.on("role", async () => {
    await ctx.reloadRoom();
    applyLock();
    drawHead();
  });
  const stopLocale = onLocale(() => {
    drawHead();
    setMode(state.mode);
  });
  drawHead();
  load();

  return () => {
    disposed = true;
    clearTimeout(previewTimer);
    stops.forEach((stop) => stop());
    stopRole();
    stopLocale();
    amendments?.dispose();
    margin?.destroy();
    editor?.destroy();
    session?.destroy();
  };
}
