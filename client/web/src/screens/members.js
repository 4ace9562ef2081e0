// Members and invitations of a room (owners): roles changed in place, members removed,
// invitation links created (the link is shown once, to copy), listed and revoked.
import { html } from "lit";
import { del, get, post, put } from "../api.js";
import { formatDate, t } from "../i18n/index.js";
import { errorText, notify } from "../ui/dom.js";
import { acting } from "../ui/acting.js";
import { mountView } from "../ui/screen.js";

const ROLES = ["owner", "moderator", "participant", "observer"];
const LIFETIMES = [
  ["members.lifetime.day", 24 * 3600],
  ["members.lifetime.week", 7 * 24 * 3600],
  ["members.lifetime.month", 30 * 24 * 3600],
];

export function showMembers(container, ctx) {
  const base = `/rooms/${encodeURIComponent(ctx.slug)}`;
  const state = { members: null, invitations: null, link: "", error: "", busy: false };

  const load = async () => {
    try {
      const [members, invitations] = await Promise.all([
        get(`${base}/members`),
        get(`${base}/invitations`),
      ]);
      state.members = members.members;
      state.invitations = invitations.invitations;
      state.error = "";
    } catch (error) {
      state.error = errorText(error, t("common.failed"));
    }
    view.redraw();
  };

  const act = acting(state, () => view.redraw(), load);

  const setRole = (member, role) =>
    act(() => put(`${base}/members/${encodeURIComponent(member.name)}`, { role }), t("members.roleChanged", { name: member.display_name || member.name }));
  const remove = (member) =>
    act(() => del(`${base}/members/${encodeURIComponent(member.name)}`), t("members.removed", { name: member.display_name || member.name }));
  const add = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const name = String(form.get("name")).trim();
    event.target.reset();
    return act(() => put(`${base}/members/${encodeURIComponent(name)}`, { role: form.get("role") }), t("members.added", { name }));
  };
  const invite = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    return act(async () => {
      const issued = await post(`${base}/invitations`, {
        role: form.get("role"),
        expires_in: Number(form.get("expires_in")),
      });
      state.link = `${location.origin}/invite/${encodeURIComponent(issued.token)}`;
    });
  };
  const revoke = (invitation) => act(() => del(`${base}/invitations/${invitation.id}`), t("members.revoked"));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(state.link);
      notify(t("members.copied"));
    } catch {
      notify(t("members.copyManually"), "error");
    }
  };

  const roleSelect = (name, selected, onChange, label) => html`<select
    name=${name}
    aria-label=${label}
    @change=${onChange}
    ?disabled=${state.busy}
  >
    ${ROLES.map((role) => html`<option value=${role} ?selected=${role === selected}>${t(`role.${role}`)}</option>`)}
  </select>`;

  const memberRow = (member) => html`<tr data-testid="member">
    <td>${member.display_name}<br /><span class="meta">${member.name}</span></td>
    <td class="inline">
      ${roleSelect("role", member.role, (e) => setRole(member, e.target.value), t("members.roleOf", { name: member.display_name }))}
    </td>
    <td>
      <button type="button" class="secondary" ?disabled=${state.busy} @click=${() => remove(member)}>
        ${t("members.remove")}
      </button>
    </td>
  </tr>`;

  const invitationRow = (invitation) => html`<tr data-testid="invitation">
    <td>${t(`role.${invitation.role}`)}</td>
    <td>${t(`members.state.${invitation.state}`)}${invitation.used_by ? html` · ${invitation.used_by}` : ""}</td>
    <td>${formatDate(invitation.expires_at)}</td>
    <td>
      ${invitation.state === "pending"
        ? html`<button type="button" class="secondary" ?disabled=${state.busy} @click=${() => revoke(invitation)}>
            ${t("members.revoke")}
          </button>`
        : ""}
    </td>
  </tr>`;

  const view = mountView(
    container,
    () => html`
      <h2>${t("members.title")}</h2>
      ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ""}
      ${state.members === null
        ? html`<p class="loading">${t("common.loading")}</p>`
        : html`<div class="table-scroll">
            <table data-testid="members">
              <caption class="visually-hidden">${t("members.title")}</caption>
              <thead><tr><th>${t("members.person")}</th><th>${t("members.role")}</th><th><span class="visually-hidden">${t("members.actions")}</span></th></tr></thead>
              <tbody>${state.members.map(memberRow)}</tbody>
            </table>
          </div>`}
      <form class="row-form" @submit=${add} data-testid="add-member">
        <label>${t("members.addName")}<input name="name" required maxlength="64" autocomplete="off" /></label>
        <label>${t("members.role")}${roleSelect("role", "participant", null, t("members.role"))}</label>
        <button type="submit" ?disabled=${state.busy}>${t("members.add")}</button>
      </form>
      <h2>${t("members.invitations")}</h2>
      <form class="row-form" @submit=${invite} data-testid="invite">
        <label>${t("members.role")}${roleSelect("role", "participant", null, t("members.role"))}</label>
        <label
          >${t("members.lifetime")}<select name="expires_in">
            ${LIFETIMES.map(([key, seconds], i) => html`<option value=${seconds} ?selected=${i === 1}>${t(key)}</option>`)}
          </select></label
        >
        <button type="submit" ?disabled=${state.busy}>${t("members.createLink")}</button>
      </form>
      ${state.link
        ? html`<div class="issued" role="status">
            <p>${t("members.linkOnce")}</p>
            <input readonly .value=${state.link} aria-label=${t("members.link")} data-testid="invitation-link" @focus=${(e) => e.target.select()} />
            <button type="button" class="secondary" @click=${copy}>${t("members.copy")}</button>
          </div>`
        : ""}
      ${state.invitations?.length
        ? html`<div class="table-scroll">
            <table data-testid="invitations">
              <caption class="visually-hidden">${t("members.invitations")}</caption>
              <thead><tr><th>${t("members.role")}</th><th>${t("members.stateLabel")}</th><th>${t("members.expires")}</th><th><span class="visually-hidden">${t("members.actions")}</span></th></tr></thead>
              <tbody>${state.invitations.map(invitationRow)}</tbody>
            </table>
          </div>`
        : ""}
    `,
  );
  load();
  return view.dispose;
}
