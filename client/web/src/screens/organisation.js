// An organisation's profile (`/directory/{slug}`): what it is, where, what it works on, its
// contacts, the verified badge and its confirmed representatives. Signed-in people ask to
// represent it; its representatives (and administrators) change it, confirm requests and remove
// representatives; administrators verify it. A change of name or registration number clears
// the verified flag (the server's rule, said beside the form).
import { html } from "lit";
import { del, get, patch, post, put } from "../api.js";
import { OrganisationForm } from "../directory/form.js";
import { organisationPath, placeName, reference, termName } from "../directory/reference.js";
import { formatDate, t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { session } from "../session.js";
import { errorText, notify } from "../ui/dom.js";
import { acting } from "../ui/acting.js";
import { mountView } from "../ui/screen.js";

/** Only web addresses become links (the server accepts no other, but the page checks too). */
const webAddress = (value) => (/^https?:\/\//i.test(value ?? "") ? value : null);

export function showOrganisation(container, params) {
  const path = `/directory/organisations/${encodeURIComponent(params.slug)}`;
  const state = { profile: null, error: "", ref: null, editing: null, asked: null, removing: null, busy: false };
  let disposed = false;
  const redraw = () => {
    if (!disposed) view.redraw();
  };

  const load = async () => {
    try {
      state.profile = await get(path);
      state.error = "";
    } catch (error) {
      state.error = error.status === 404 ? t("directory.notFound") : errorText(error, t("common.failed"));
    }
    redraw();
  };

  const act = acting(state, redraw, load, () => {
    state.removing = null;
  });

  const me = () => session.user;
  const standing = () => state.profile?.representatives.find((r) => r.user_id === me()?.id)?.state ?? null;
  const canManage = () => Boolean(me() && (me().is_admin || standing() === "confirmed"));

  const edit = () => {
    state.editing = new OrganisationForm({
      profile: state.profile,
      redraw,
      cancel: () => {
        state.editing = null;
        redraw();
      },
      submit: async (body) => {
        const changed = await patch(path, body);
        state.editing = null;
        state.profile = changed;
        notify(t("directory.saved"));
        if (changed.slug !== params.slug) navigate(organisationPath(changed.slug), { replace: true });
        redraw();
      },
    });
    redraw();
  };

  const ask = () =>
    act(async () => {
      const answer = await post(`${path}/representatives`);
      state.asked = answer.state;
    }, t("directory.representatives.asked"));

  const confirm = (rep) =>
    act(() => put(`${path}/representatives/${rep.user_id}`), t("directory.representatives.confirmed", { name: rep.display_name }));

  const remove = (rep) => act(() => del(`${path}/representatives/${rep.user_id}`), t("directory.representatives.removed", { name: rep.display_name }));

  const verify = (verified) =>
    act(() => put(`${path}/verification`, { verified }), verified ? t("directory.verifiedNow") : t("directory.unverifiedNow"));

  const representative = (rep) => {
    const self = rep.user_id === me()?.id;
    const mayRemove = canManage() || self;
    return html`<li data-testid="representative" data-state=${rep.state}>
      <div class="line">
        <strong>${rep.display_name || rep.name}</strong>
        <span class="meta">@${rep.name}</span>
        ${rep.state === "pending" ? html`<span class="badge">${t("directory.representatives.pending")}</span>` : ""}
        <span class="meta">
          ${rep.confirmed_at
            ? t("directory.representatives.since", { date: formatDate(rep.confirmed_at, { dateStyle: "medium" }) })
            : t("directory.representatives.askedOn", { date: formatDate(rep.requested_at, { dateStyle: "medium" }) })}
        </span>
      </div>
      ${state.removing === rep.user_id
        ? html`<div class="confirm" role="group" aria-label=${t("directory.representatives.removeTitle")}>
            <p>${self ? t("directory.representatives.leaveQuestion") : t("directory.representatives.removeQuestion", { name: rep.display_name || rep.name })}</p>
            <button type="button" class="danger" ?disabled=${state.busy} @click=${() => remove(rep)}>
              ${self ? t("directory.representatives.leave") : t("directory.representatives.remove")}
            </button>
            <button type="button" class="secondary" @click=${() => ((state.removing = null), redraw())}>${t("common.cancel")}</button>
          </div>`
        : html`<div class="actions">
            ${canManage() && rep.state === "pending"
              ? html`<button type="button" data-testid="confirm-representative" ?disabled=${state.busy} @click=${() => confirm(rep)}>
                  ${t("directory.representatives.confirm")}
                </button>`
              : ""}
            ${mayRemove
              ? html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => ((state.removing = rep.user_id), redraw())}>
                  ${self ? t("directory.representatives.leave") : t("directory.representatives.remove")}
                </button>`
              : ""}
          </div>`}
    </li>`;
  };

  const facts = (p) => {
    const website = webAddress(p.website);
    return html`<dl class="facts">
      <dt>${t("directory.field.kind")}</dt>
      <dd data-testid="organisation-kind">${termName(state.ref?.kinds, p.kind)}</dd>
      ${p.registration_number
        ? html`<dt>${t("directory.field.registration")}</dt>
            <dd>${p.registration_number}</dd>`
        : ""}
      ${p.oblast
        ? html`<dt>${t("directory.field.place")}</dt>
            <dd data-testid="organisation-place">
              ${p.municipality ? html`${placeName(p.municipality)}, ` : ""}${t("directory.oblastOf", { name: placeName(p.oblast) })}
            </dd>`
        : ""}
      ${p.sectors.length
        ? html`<dt>${t("directory.field.sectors")}</dt>
            <dd>${p.sectors.map((slug) => termName(state.ref?.sectors, slug)).join(", ")}</dd>`
        : ""}
      ${website
        ? html`<dt>${t("directory.field.website")}</dt>
            <dd><a href=${website} rel="noopener nofollow ugc" target="_blank">${p.website}</a></dd>`
        : ""}
      ${p.email
        ? html`<dt>${t("directory.field.email")}</dt>
            <dd><a href="mailto:${p.email}">${p.email}</a></dd>`
        : ""}
      ${p.phone
        ? html`<dt>${t("directory.field.phone")}</dt>
            <dd><a href="tel:${p.phone.replace(/[^0-9+]/g, "")}">${p.phone}</a></dd>`
        : ""}
    </dl>`;
  };

  const profile = (p) => {
    const confirmed = p.representatives.filter((r) => r.state === "confirmed");
    const pending = p.representatives.filter((r) => r.state === "pending");
    const mine = standing() ?? state.asked;
    return html`<article class="organisation" data-testid="organisation">
      <header class="card">
        <p class="meta"><a href="/directory">${t("directory.back")}</a></p>
        <div class="proposal-title">
          <h1>${p.name}</h1>
          ${p.verified
            ? html`<span class="badge verified" data-testid="verified-badge" title=${formatDate(p.verified_at)}>${t("directory.verified")}</span>`
            : ""}
        </div>
        ${state.editing ? state.editing.template(state.ref) : facts(p)}
        ${p.description && !state.editing ? html`<p class="organisation-description">${p.description}</p>` : ""}
        <div class="actions">
          ${canManage() && !state.editing
            ? html`<button type="button" class="secondary" data-testid="edit-organisation" @click=${edit}>${t("directory.edit")}</button>`
            : ""}
          ${me()?.is_admin
            ? html`<button type="button" class="secondary" data-testid="verify" ?disabled=${state.busy} @click=${() => verify(!p.verified)}>
                ${p.verified ? t("directory.unverify") : t("directory.verify")}
              </button>`
            : ""}
        </div>
      </header>
      <section class="card" aria-labelledby="representatives-title">
        <h2 id="representatives-title">${t("directory.representatives.title")}</h2>
        ${confirmed.length
          ? html`<ul class="decision-list" data-testid="representatives">${confirmed.map(representative)}</ul>`
          : html`<p class="hint">${t("directory.representatives.none")}</p>`}
        ${pending.length
          ? html`<h3>${t("directory.representatives.requests")}</h3>
              <ul class="decision-list" data-testid="requests">${pending.map(representative)}</ul>`
          : ""}
        ${!me()
          ? html`<p class="hint"><a href="/login?next=${encodeURIComponent(location.pathname)}">${t("common.signIn")}</a> ${t("directory.representatives.signIn")}</p>`
          : mine === "pending"
            ? html`<p class="hint" data-testid="request-pending">${t("directory.representatives.waiting")}</p>`
            : mine === null
              ? html`<button type="button" data-testid="ask-to-represent" ?disabled=${state.busy} @click=${ask}>${t("directory.representatives.ask")}</button>`
              : ""}
      </section>
    </article>`;
  };

  const view = mountView(container, () =>
    state.profile
      ? profile(state.profile)
      : html`<section class="card">
          ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : html`<p class="loading">${t("common.loading")}</p>`}
        </section>`,
  );

  const stopSession = session.onChange(() => load());
  reference()
    .then((ref) => {
      state.ref = ref;
      redraw();
    })
    .catch(() => {});
  load();
  return () => {
    disposed = true;
    stopSession();
    view.dispose();
  };
}
