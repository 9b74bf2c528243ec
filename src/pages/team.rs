//! Team (owners only): the members and their roles, invite links, and the invites still open.
use crate::components::CopyField;
use crate::components::{Confirmable, ErrorPanel, FormError, Loading, Spinner};
use crate::domain::Role;
use crate::pages::{BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, action_error, field_error};
use crate::server_fns::team::{
    CreateInvite, CreatedInviteView, MemberView, PendingInviteView, RemoveMember, RevokeInvite,
    SetMemberRole, get_team,
};
use leptos::prelude::*;
use leptos_meta::Title;

const SELECT: &str = "block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600";

/// What each role may do, in the words the invite form and the join page use.
pub(crate) fn role_description(role: Role) -> &'static str {
    match role {
        Role::Owner => "Everything, including the team and the plan.",
        Role::Admin => "Manages chatbots and integrations, and answers customers in the inbox.",
        Role::Agent => {
            "Answers customers in the inbox. Doesn't see chatbots, settings or the team."
        }
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let invite = ServerAction::<CreateInvite>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let team = Resource::new_blocking(
        move || {
            (
                invite.version().get(),
                revoke.version().get(),
                set_role.version().get(),
                remove.version().get(),
            )
        },
        |_| get_team(),
    );
    view! {
        <Title text="Team"/>
        <h1 class="text-2xl font-bold">"Team"</h1>
        <p class="mt-1 text-slate-600">"Who works in this workspace, and what each of them may do."</p>
        <Transition fallback=|| view! { <Loading label="Loading your team…"/> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(team) => view! {
                        <Members members=team.members set_role remove/>
                        <InviteForm invite/>
                        <PendingInvites invites=team.invites revoke/>
                    }.into_any(),
                    Err(error) => view! { <div class="mt-6"><ErrorPanel error/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Members(
    members: Vec<MemberView>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let role_error = action_error(set_role);
    let remove_error = action_error(remove);
    let role_saved = Signal::derive(move || matches!(set_role.value().get(), Some(Ok(()))));
    let th = "px-4 py-3 font-medium";
    view! {
        <section aria-labelledby="members-heading" class="mt-6 max-w-4xl">
            <h2 id="members-heading" class="text-lg font-semibold">"Members"</h2>
            <div class="mt-2 space-y-2">
                <FormError error=role_error/>
                <FormError error=remove_error/>
                <p role="status" aria-live="polite" class="text-sm text-green-800">
                    {move || role_saved.get().then_some("Role saved.")}
                </p>
            </div>
            <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <thead class="bg-slate-50 text-left text-slate-600">
                        <tr>
                            <th scope="col" class=th>"Email"</th>
                            <th scope="col" class=th>"Role"</th>
                            <th scope="col" class=th>"Joined"</th>
                            <th scope="col" class=th><span class="sr-only">"Remove"</span></th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200">
                        {members.into_iter().map(|member| view! { <MemberRow member set_role remove/> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn MemberRow(
    member: MemberView,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let MemberView {
        user_id,
        email,
        role,
        joined,
        is_you,
    } = member;
    let saving = set_role.pending();
    let removing = remove.pending();
    let confirming = RwSignal::new(false);
    let select_id = format!("role-{user_id}");
    let select_label = format!("Role of {email}");
    let question = StoredValue::new(format!("Remove {email} from the workspace?"));
    let role_cell = if is_you {
        view! {
            <span>{role.label()}</span>
            <p class="text-xs text-slate-600">"Another owner can change your role."</p>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=set_role attr:class="flex flex-wrap items-center gap-2">
                <input type="hidden" name="user_id" value=user_id.to_string()/>
                <label for=select_id.clone() class="sr-only">{select_label}</label>
                <select id=select_id name="role" class=SELECT>
                    {Role::ALL.into_iter().map(|option| view! {
                        <option value=option.as_str() selected=option == role>{option.label()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class=BUTTON_SECONDARY disabled=saving>
                    <Show when=move || saving.get()><Spinner/></Show>
                    {move || if saving.get() { "Saving…" } else { "Save role" }}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <tr class="align-top">
            <td class="px-4 py-3">
                <span class="break-all font-medium">{email.clone()}</span>
                {is_you.then(|| view! {
                    <span class="ml-2 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800">"You"</span>
                })}
            </td>
            <td class="px-4 py-3">{role_cell}</td>
            <td class="whitespace-nowrap px-4 py-3 text-slate-700">
                <time datetime=joined.datetime>{joined.text}</time>
            </td>
            <td class="px-4 py-3 text-right">
                {(!is_you).then(|| view! {
                    <Confirmable confirming verb="Remove" subject=email.clone()>
                        <ActionForm action=remove attr:class="flex flex-wrap items-center justify-end gap-2">
                            <input type="hidden" name="user_id" value=user_id.to_string()/>
                            <p class="w-full text-left text-sm font-medium text-red-900" role="alert">
                                {question.get_value()}
                                " They are signed out at once."
                            </p>
                            <button type="submit" class=BUTTON_DANGER disabled=removing>
                                <Show when=move || removing.get()><Spinner/></Show>
                                {move || if removing.get() { "Removing…" } else { "Yes, remove" }}
                            </button>
                            <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>
                                "Cancel"
                            </button>
                        </ActionForm>
                    </Confirmable>
                })}
            </td>
        </tr>
    }
}

#[component]
fn InviteForm(invite: ServerAction<CreateInvite>) -> impl IntoView {
    let error = action_error(invite);
    let role_error = field_error(error, "role");
    let pending = invite.pending();
    let created = Signal::derive(move || invite.value().get().and_then(Result::ok));
    view! {
        <section aria-labelledby="invite-heading" class="mt-8 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="invite-heading" class="text-lg font-semibold">"Invite a teammate"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Create a link and send it to them yourself, by email or chat. Anyone with the link can join once, so share it only with them."
            </p>
            <ActionForm action=invite attr:class="mt-4 space-y-4" attr:novalidate=true>
                <fieldset aria-describedby="invite-role-message">
                    <legend class="text-sm font-medium text-slate-800">"Role"</legend>
                    <div class="mt-2 space-y-3">
                        {Role::INVITABLE.into_iter().enumerate().map(|(i, role)| {
                            let id = format!("invite-role-{}", role.as_str());
                            view! {
                                <div class="flex items-start gap-3">
                                    <input
                                        id=id.clone()
                                        type="radio"
                                        name="role"
                                        value=role.as_str()
                                        checked=i == 0
                                        aria-describedby=format!("{id}-description")
                                        class="mt-0.5 h-4 w-4 border-slate-300 text-indigo-700 focus:ring-2 focus:ring-indigo-600"
                                    />
                                    <div>
                                        <label for=id.clone() class="block text-sm font-medium text-slate-800">{role.label()}</label>
                                        <p id=format!("{id}-description") class="text-sm text-slate-600">{role_description(role)}</p>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    <p id="invite-role-message" class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">
                        {move || role_error.get()}
                    </p>
                </fieldset>
                <FormError error/>
                <button type="submit" class=BUTTON_PRIMARY disabled=pending aria-busy=move || pending.get().to_string()>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Creating link…" } else { "Create invite link" }}
                </button>
            </ActionForm>
            {move || created.get().map(|created| view! { <CreatedLink created/> })}
        </section>
    }
}

/// The new link, shown this once, with a Copy button.
#[component]
fn CreatedLink(created: CreatedInviteView) -> impl IntoView {
    let CreatedInviteView { url, role, expires } = created;
    view! {
        <div class="mt-6 rounded-md border border-green-200 bg-green-50 p-4" data-testid="invite-link">
            <h3 class="font-semibold text-green-900">{format!("Invite link for a new {}", role.label().to_lowercase())}</h3>
            <label for="invite-link" class="mt-3 block text-sm font-medium text-slate-800">"Invite link"</label>
            <CopyField id="invite-link" value=url announce="Invite link copied" described_by="invite-link-hint"/>
            <p id="invite-link-hint" class="mt-2 text-sm text-green-900">
                "The link works once and expires on "
                <time datetime=expires.datetime>{expires.text}</time>
                ". Copy it now: it won't be shown again."
            </p>
        </div>
    }
}

#[component]
fn PendingInvites(
    invites: Vec<PendingInviteView>,
    revoke: ServerAction<RevokeInvite>,
) -> impl IntoView {
    let error = action_error(revoke);
    view! {
        <section aria-labelledby="pending-heading" class="mt-8 max-w-4xl">
            <h2 id="pending-heading" class="text-lg font-semibold">"Pending invites"</h2>
            <div class="mt-2"><FormError error/></div>
            {if invites.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No invite links are open."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-200 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
                        {invites.into_iter().map(|invite| view! { <PendingInviteRow invite revoke/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn PendingInviteRow(
    invite: PendingInviteView,
    revoke: ServerAction<RevokeInvite>,
) -> impl IntoView {
    let PendingInviteView {
        id,
        role,
        created_by,
        created,
        expires,
    } = invite;
    let confirming = RwSignal::new(false);
    let revoking = revoke.pending();
    let by = created_by
        .map(|email| format!(" by {email}"))
        .unwrap_or_default();
    view! {
        <li class="flex flex-col gap-3 px-4 py-4 sm:flex-row sm:items-start sm:justify-between">
            <div class="text-sm">
                <p class="font-medium">{format!("{} invite", role.label())}</p>
                <p class="text-slate-600">
                    "Created" {by} " on " <time datetime=created.datetime>{created.text}</time>
                    ". Expires on " <time datetime=expires.datetime>{expires.text.clone()}</time> "."
                </p>
            </div>
            <Confirmable
                confirming
                verb="Revoke"
                subject=format!("the {} invite that expires on {}", role.label().to_lowercase(), expires.text)
            >
                <ActionForm action=revoke attr:class="flex flex-wrap items-center gap-2">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <p class="w-full text-sm font-medium text-red-900" role="alert">
                        "Revoke this link? Whoever has it can no longer join."
                    </p>
                    <button type="submit" class=BUTTON_DANGER disabled=revoking>
                        <Show when=move || revoking.get()><Spinner/></Show>
                        {move || if revoking.get() { "Revoking…" } else { "Yes, revoke" }}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </ActionForm>
            </Confirmable>
        </li>
    }
}
