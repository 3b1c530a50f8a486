/**
 * The family panel: which list is shown (the identity's own, or its family's), and either the
 * buttons to create a family or join one with an invite code, or the family's invite code to pass
 * on. Entering a family stores it in the identity's settings (family.ts); main.ts hears that and
 * shows the family's list.
 */
import type { SignInResult, SyncClient } from "../../../client/index.js";
import { byId, listen } from "./dom.js";
import { enterFamily, FamilyRequestError, type AppEndpoints, type FamilyMembership } from "./family.js";

/** Binds the panel for `membership` (null: not in a family); returns the function that stops. */
export function mountFamily(client: SyncClient, account: SignInResult, endpoints: AppEndpoints, membership: FamilyMembership | null): () => void {
  const error = byId("family-error");
  const inviteInput = byId<HTMLInputElement>("invite-code");
  const buttons = [byId<HTMLButtonElement>("create-family"), byId<HTMLButtonElement>("join-family")];
  byId("list-name").textContent = membership ? `Family to-dos (${membership.family})` : "My to-dos";
  byId("family-none").hidden = membership !== null;
  byId("family-member").hidden = membership === null;
  byId("family-name").textContent = membership?.family ?? "";
  byId("family-invite").textContent = membership?.invite ?? "";
  error.hidden = true;
  inviteInput.value = "";

  const enter = async (invite?: string) => {
    error.hidden = true;
    buttons.forEach((button) => (button.disabled = true));
    try {
      await enterFamily(client, account, endpoints, invite);
    } catch (failure) {
      error.textContent = failure instanceof Error ? failure.message : String(failure);
      error.dataset.code = failure instanceof FamilyRequestError ? failure.code : "";
      error.hidden = false;
    } finally {
      buttons.forEach((button) => (button.disabled = false));
    }
  };

  const stops = [
    listen(byId("create-family"), "click", () => void enter()),
    listen(byId("join-family"), "click", () => void enter(inviteInput.value.trim())),
  ];
  return () => stops.forEach((stop) => stop());
}
