//! One knowledge base: rename or delete it, see its documents (refreshed every second while one is
//! being read), delete one, upload files (sent by the browser to the upload route) or paste text.
use crate::components::fields::rules;
use crate::components::{
    Confirmable, ErrorPanel, FormError, Loading, Spinner, TextAreaField, TextField, error_title,
};
use crate::domain::knowledge::{DocumentState, PastedText};
use crate::error::AppError;
use crate::pages::{
    BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK, SaveButton, action_error, field_error,
};
use crate::server_fns::knowledge::{
    AddText, DeleteBase, DeleteDocument, DocumentRow, KnowledgeBaseDetail, RenameBase,
    UploadAnswer, get_base, upload_path,
};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use uuid::Uuid;

/// What the file input accepts (the upload route decides; this only filters the picker).
pub const ACCEPTED_FILES: &str = ".md,.markdown,.txt,.html,.htm,.pdf";

/// The knowledge base id in the address, if it is one.
fn base_id_param() -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok())))
}

async fn load(id: Option<Uuid>) -> Result<KnowledgeBaseDetail, AppError> {
    match id {
        Some(id) => get_base(id).await,
        None => Err(AppError::NotFound),
    }
}

#[component]
pub fn KnowledgeBasePage() -> impl IntoView {
    let id = base_id_param();
    let rename = ServerAction::<RenameBase>::new();
    // Only a successful rename reloads the page's frame: a refused one keeps what was typed.
    let renamed = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(rename.value().get(), Some(Ok(()))) {
            renamed.update(|n| *n = n.wrapping_add(1));
        }
    });
    let base = Resource::new_blocking(move || (id.get(), renamed.get()), |(id, _)| load(id));
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match base.await {
                    Ok(base) => view! { <BaseView base rename/> }.into_any(),
                    // The panel answers with the error's status (404 for an address that is no
                    // id at all, too).
                    Err(error) => view! { <Title text=error_title(&error)/><ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BaseView(base: KnowledgeBaseDetail, rename: ServerAction<RenameBase>) -> impl IntoView {
    let KnowledgeBaseDetail {
        id,
        name,
        language,
        documents,
        chatbots,
    } = base;
    let add_text = ServerAction::<AddText>::new();
    let uploads = RwSignal::new(0u32);
    let document_count = documents.len();
    view! {
        <Title text=name.clone()/>
        <nav aria-label="Breadcrumb" class="text-sm text-slate-600">
            <ol class="flex flex-wrap gap-1">
                <li><a class="hover:underline" href="/knowledge">"Knowledge"</a><span aria-hidden="true">" /"</span></li>
                <li class="font-medium text-slate-800">{name.clone()}</li>
            </ol>
        </nav>
        <h1 class="mt-1 text-2xl font-bold">{name.clone()}</h1>
        <p class="mt-1 max-w-3xl text-sm text-slate-600">
            {format!("Documents in {}. ", language.label())}
            {if chatbots.is_empty() {
                view! {
                    "No chatbot answers from it yet: choose it in a "
                    <a class=LINK href="/chatbots">"chatbot's settings"</a>
                    "."
                }.into_any()
            } else {
                let count = chatbots.len();
                view! {
                    "Used by "
                    {chatbots.into_iter().enumerate().map(|(i, (chatbot_id, chatbot_name))| view! {
                        {(i > 0).then_some(if i + 1 == count { " and " } else { ", " })}
                        <a class=LINK href=format!("/chatbots/{chatbot_id}")>{chatbot_name}</a>
                    }).collect_view()}
                    "."
                }.into_any()
            }}
        </p>
        <Documents id initial=documents add_text uploads/>
        <div class="mt-8 grid max-w-5xl gap-6 lg:grid-cols-2">
            <UploadForm id uploads/>
            <PasteForm id add_text/>
        </div>
        <RenameForm id name=name.clone() rename/>
        <DeleteBasePanel id name document_count/>
    }
}

/// The documents table. It loads again after an upload, a paste or a delete, and every second while
/// a document is being read. Rows are keyed by what they show, so an unchanged row (and the
/// keyboard focus in it) stays put.
#[component]
fn Documents(
    id: Uuid,
    initial: Vec<DocumentRow>,
    add_text: ServerAction<AddText>,
    uploads: RwSignal<u32>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteDocument>::new();
    let delete_error = action_error(delete);
    let tick = RwSignal::new(0u32);
    let documents = RwSignal::new(initial);
    let failure = RwSignal::new(None::<AppError>);
    // Loads can overlap (a slow one and the next tick): only the latest one's answer is shown.
    let latest = StoredValue::new(0u64);
    let changes = Memo::new(move |_| {
        (
            add_text.version().get(),
            delete.version().get(),
            uploads.get(),
            tick.get(),
        )
    });
    // Only in the browser: the first rows came with the page.
    Effect::new(move |previous: Option<()>| {
        // Read, not only tracked: a memo nobody reads never looks at its own sources.
        let _ = changes.get();
        if previous.is_none() {
            return;
        }
        latest.update_value(|n| *n += 1);
        let this = latest.get_value();
        leptos::task::spawn_local(async move {
            let result = get_base(id).await;
            if latest.try_get_value() != Some(this) {
                return;
            }
            match result {
                Ok(base) => {
                    failure.try_set(None);
                    documents.try_set(base.documents);
                }
                Err(error) => {
                    failure.try_set(Some(error));
                }
            }
        });
    });
    let processing = Memo::new(move |_| {
        documents.with(|docs| docs.iter().any(|d| d.state == DocumentState::Processing))
    });
    // Look again every second, but only while something is being read.
    Effect::new(move |_| {
        if !processing.get() {
            return;
        }
        if let Ok(handle) = set_interval_with_handle(
            move || {
                tick.try_update(|t| *t = t.wrapping_add(1));
            },
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let th = "px-4 py-3 font-medium";
    view! {
        <section aria-labelledby="documents-heading" class="mt-6 max-w-5xl">
            <h2 id="documents-heading" class="text-lg font-semibold">"Documents"</h2>
            <div class="mt-2 space-y-2">
                <FormError error=delete_error/>
                <FormError error=failure/>
            </div>
            <Show
                when=move || documents.with(|d| !d.is_empty())
                fallback=|| view! {
                    <p class="mt-2 rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-600">
                        "No documents yet. Upload your help articles, FAQs or policies below, or paste text."
                    </p>
                }
            >
                <div class="mt-2 overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="documents">
                        <thead class="bg-slate-50 text-left text-slate-600">
                            <tr>
                                <th scope="col" class=th>"Title"</th>
                                <th scope="col" class=th>"File"</th>
                                <th scope="col" class=th>"Kind"</th>
                                <th scope="col" class=format!("{th} text-right")>"Size"</th>
                                <th scope="col" class=th>"State"</th>
                                <th scope="col" class=th><span class="sr-only">"Delete"</span></th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-200">
                            <For
                                each=move || documents.get()
                                key=|d| (d.id, d.title.clone(), d.state.as_str(), d.progress, d.passages, d.error.clone())
                                children=move |document| view! { <DocumentItem document delete/> }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "markdown" => "Markdown",
        "text" => "Plain text",
        "html" => "HTML",
        "pdf" => "PDF",
        _ => "Other",
    }
}

/// "812 bytes", "14.2 KB", "3.1 MB".
fn size_label(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let value = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if value < KB * KB {
        format!("{:.1} KB", value / KB)
    } else {
        format!("{:.1} MB", value / (KB * KB))
    }
}

#[component]
fn DocumentItem(document: DocumentRow, delete: ServerAction<DeleteDocument>) -> impl IntoView {
    let DocumentRow {
        id,
        title,
        file_name,
        kind,
        size_bytes,
        state,
        progress,
        error,
        passages,
    } = document;
    let confirming = RwSignal::new(false);
    let deleting = delete.pending();
    let progress = progress.clamp(0, 100);
    let state_cell = match state {
        DocumentState::Processing => view! {
            <div class="min-w-36">
                <span class="inline-flex rounded-full bg-sky-100 px-2.5 py-0.5 text-xs font-medium text-sky-900">
                    {format!("{} {progress} %", state.label())}
                </span>
                <div
                    class="mt-2 h-1.5 w-full overflow-hidden rounded-full bg-slate-200"
                    role="progressbar"
                    aria-label=format!("Reading {title}")
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=progress.to_string()
                >
                    <div class="h-full rounded-full bg-sky-600" style=format!("width: {progress}%")></div>
                </div>
            </div>
        }
        .into_any(),
        DocumentState::Ready => view! {
            <span class="inline-flex whitespace-nowrap rounded-full bg-green-100 px-2.5 py-0.5 text-xs font-medium text-green-900">
                {format!(
                    "{} · {passages} {}",
                    state.label(),
                    if passages == 1 { "passage" } else { "passages" }
                )}
            </span>
        }
        .into_any(),
        DocumentState::Failed => view! {
            <span class="inline-block rounded-md bg-red-50 px-2.5 py-1 text-xs font-medium text-red-900 ring-1 ring-inset ring-red-200">
                {format!(
                    "{}: {}",
                    state.label(),
                    error.unwrap_or_else(|| "the document could not be read.".to_owned())
                )}
            </span>
        }
        .into_any(),
    };
    let question = StoredValue::new(format!(
        "Delete “{title}”? Chatbots stop answering from it."
    ));
    view! {
        <tr class="align-top" data-testid="document-row">
            <td class="px-4 py-3 font-medium">{title.clone()}</td>
            <td class="max-w-48 break-all px-4 py-3 text-slate-700">{file_name.unwrap_or_else(|| "Pasted text".to_owned())}</td>
            <td class="whitespace-nowrap px-4 py-3 text-slate-700">{kind_label(&kind)}</td>
            <td class="whitespace-nowrap px-4 py-3 text-right text-slate-700">{size_label(size_bytes)}</td>
            <td class="px-4 py-3" data-testid="document-state">{state_cell}</td>
            <td class="px-4 py-3 text-right">
                <Confirmable confirming verb="Delete" subject=title.clone()>
                    <ActionForm action=delete attr:class="flex flex-wrap items-center justify-end gap-2">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <p class="w-full text-left text-sm font-medium text-red-900" role="alert">{question.get_value()}</p>
                        <button type="submit" class=BUTTON_DANGER disabled=deleting>
                            <Show when=move || deleting.get()><Spinner/></Show>
                            {move || if deleting.get() { "Deleting…" } else { "Yes, delete" }}
                        </button>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </ActionForm>
                </Confirmable>
            </td>
        </tr>
    }
}

/// Where an upload stands, as the page says it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum UploadState {
    Idle,
    Uploading(usize),
    Done(UploadAnswer),
}

/// Files by drag and drop or the file picker, sent with `fetch` as `multipart/form-data`. Without
/// JavaScript the form posts to the same route.
#[component]
fn UploadForm(id: Uuid, uploads: RwSignal<u32>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let state = RwSignal::new(UploadState::Idle);
    let dragging = RwSignal::new(false);
    let busy = Signal::derive(move || matches!(state.get(), UploadState::Uploading(_)));
    #[cfg(not(feature = "hydrate"))]
    let _ = uploads;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        browser::start(
            id,
            browser::chosen_files(input.get_untracked()),
            input,
            state,
            uploads,
        );
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        browser::start(id, browser::dropped_files(&ev), input, state, uploads);
    };
    view! {
        <section aria-labelledby="upload-heading" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="upload-heading" class="text-lg font-semibold">"Upload files"</h2>
            <form
                action=upload_path(id)
                method="post"
                enctype="multipart/form-data"
                class="mt-4 space-y-4"
                on:submit=on_submit
            >
                <div
                    class=move || {
                        if dragging.get() {
                            "rounded-lg border-2 border-dashed border-indigo-600 bg-indigo-50 p-6 text-center"
                        } else {
                            "rounded-lg border-2 border-dashed border-slate-300 p-6 text-center"
                        }
                    }
                    data-testid="drop-zone"
                    on:dragover=move |ev: leptos::ev::DragEvent| {
                        ev.prevent_default();
                        dragging.set(true);
                    }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop
                >
                    <p class="text-sm text-slate-700">"Drop files here, or choose them:"</p>
                    <label for="kb-files" class="mt-3 block text-sm font-medium text-slate-800">"Choose files"</label>
                    <input
                        id="kb-files"
                        node_ref=input
                        type="file"
                        name="file"
                        multiple=true
                        accept=ACCEPTED_FILES
                        aria-describedby="kb-files-hint"
                        class="mx-auto mt-1 block max-w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:font-semibold file:text-indigo-800 hover:file:bg-indigo-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"
                    />
                    <p id="kb-files-hint" class="mt-2 text-xs text-slate-600">
                        "Markdown (.md), plain text (.txt), HTML (.html) or PDF (.pdf), up to 5 MB each. A file with the same name as one already here replaces it."
                    </p>
                </div>
                <button type="submit" class=BUTTON_PRIMARY disabled=busy aria-busy=move || busy.get().to_string()>
                    <Show when=move || busy.get()><Spinner/></Show>
                    {move || if busy.get() { "Uploading…" } else { "Upload" }}
                </button>
            </form>
            <UploadOutcome state/>
        </section>
    }
}

#[component]
fn UploadOutcome(state: RwSignal<UploadState>) -> impl IntoView {
    let added = move || match state.get() {
        UploadState::Uploading(count) => Some(if count == 1 {
            "Uploading 1 file…".to_owned()
        } else {
            format!("Uploading {count} files…")
        }),
        UploadState::Done(answer) if !answer.added.is_empty() => {
            let titles = answer
                .added
                .iter()
                .map(|d| format!("“{}”", d.title))
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!(
                "Added {titles}. Processing has started; the list above updates by itself."
            ))
        }
        _ => None,
    };
    let errors = move || match state.get() {
        UploadState::Done(answer) => answer.errors,
        _ => Vec::new(),
    };
    view! {
        <p class="mt-4 min-h-5 text-sm text-slate-700" role="status" aria-live="polite" data-testid="upload-status">
            {added}
        </p>
        <div role="alert" data-testid="upload-errors">
            <Show when=move || !errors().is_empty()>
                <div class="rounded-md bg-red-50 p-3 text-sm text-red-800">
                    <p class="font-semibold">"Not added:"</p>
                    <ul class="mt-1 list-disc space-y-1 pl-5">
                        {move || errors().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                    </ul>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn PasteForm(id: Uuid, add_text: ServerAction<AddText>) -> impl IntoView {
    let error = action_error(add_text);
    let pending = add_text.pending();
    // After each document added the fields start empty again.
    let added = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(add_text.value().get(), Some(Ok(_))) {
            added.update(|n| *n = n.wrapping_add(1));
        }
    });
    view! {
        <section aria-labelledby="paste-heading" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="paste-heading" class="text-lg font-semibold">"Paste text"</h2>
            <ActionForm action=add_text attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="base_id" value=id.to_string()/>
                {move || {
                    added.track();
                    view! {
                        <TextField
                            label="Title"
                            name="title"
                            rule=rules::document_title
                            server_error=field_error(error, "title")
                            hint="For example: Opening hours"
                        />
                        <TextAreaField
                            label="Text"
                            name="text"
                            max_chars=PastedText::MAX_CHARS
                            rule=rules::pasted_text
                            server_error=field_error(error, "text")
                            rows=8
                        />
                    }
                }}
                <FormError error/>
                <div class="flex flex-wrap items-center gap-3">
                    <button type="submit" class=BUTTON_PRIMARY disabled=pending aria-busy=move || pending.get().to_string()>
                        <Show when=move || pending.get()><Spinner/></Show>
                        {move || if pending.get() { "Adding…" } else { "Add text" }}
                    </button>
                    <p role="status" aria-live="polite" class="text-sm text-green-800">
                        {move || (added.get() > 0 && !pending.get()).then_some("Added. Processing has started.")}
                    </p>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RenameForm(id: Uuid, name: String, rename: ServerAction<RenameBase>) -> impl IntoView {
    let error = action_error(rename);
    let pending = rename.pending();
    let saved = Signal::derive(move || matches!(rename.value().get(), Some(Ok(()))));
    view! {
        <section aria-labelledby="rename-heading" class="mt-8 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="rename-heading" class="text-lg font-semibold">"Rename"</h2>
            <ActionForm action=rename attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="id" value=id.to_string()/>
                <TextField
                    label="Name"
                    name="name"
                    initial=name
                    rule=rules::knowledge_base_name
                    server_error=field_error(error, "name")
                />
                <FormError error/>
                <SaveButton pending saved label="Save name"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn DeleteBasePanel(id: Uuid, name: String, document_count: usize) -> impl IntoView {
    let delete = ServerAction::<DeleteBase>::new();
    let error = action_error(delete);
    let pending = delete.pending();
    let confirming = RwSignal::new(false);
    let documents = match document_count {
        0 => String::new(),
        1 => " and its document".to_owned(),
        n => format!(" and its {n} documents"),
    };
    let question = StoredValue::new(format!("Delete “{name}”{documents} for good?"));
    view! {
        <section aria-labelledby="delete-heading" class="mt-8 max-w-2xl rounded-lg border border-red-200 bg-white p-6">
            <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this knowledge base"</h2>
            <p class="mt-1 text-sm text-slate-700">
                "Its documents are removed, and chatbots that use it no longer answer from them. This can't be undone."
            </p>
            <div class="mt-4">
                <Confirmable confirming verb="Delete knowledge base" subject=String::new()>
                    <ActionForm action=delete attr:class="flex flex-wrap items-center gap-3">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <p class="w-full text-sm font-medium text-red-900" role="alert">{question.get_value()}</p>
                        <button type="submit" class=BUTTON_DANGER disabled=pending>
                            <Show when=move || pending.get()><Spinner/></Show>
                            {move || if pending.get() { "Deleting…" } else { "Yes, delete it" }}
                        </button>
                        <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </ActionForm>
                </Confirmable>
            </div>
            <FormError error/>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::UploadState;
    use crate::error::AppError;
    use crate::server_fns::knowledge::{UploadAnswer, upload_path};
    use leptos::html;
    use leptos::prelude::*;
    use uuid::Uuid;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{DragEvent, File, FileList, FormData, HtmlInputElement, RequestInit, Response};

    /// Uploads the files, says so meanwhile, then shows the answer and reloads the documents.
    pub fn start(
        base_id: Uuid,
        files: Vec<File>,
        input: NodeRef<html::Input>,
        state: RwSignal<UploadState>,
        uploads: RwSignal<u32>,
    ) {
        if files.is_empty() {
            state.set(UploadState::Done(UploadAnswer {
                added: Vec::new(),
                errors: vec!["Choose a file to upload.".to_owned()],
            }));
            return;
        }
        state.set(UploadState::Uploading(files.len()));
        leptos::task::spawn_local(async move {
            let answer = upload(base_id, files).await;
            if let Some(input) = input.try_get_untracked().flatten() {
                input.set_value("");
            }
            if !answer.added.is_empty() {
                uploads.try_update(|n| *n = n.wrapping_add(1));
            }
            state.try_set(UploadState::Done(answer));
        });
    }

    fn files_of(list: Option<FileList>) -> Vec<File> {
        let Some(list) = list else {
            return Vec::new();
        };
        (0..list.length()).filter_map(|i| list.item(i)).collect()
    }

    pub fn chosen_files(input: Option<HtmlInputElement>) -> Vec<File> {
        files_of(input.and_then(|input| input.files()))
    }

    pub fn dropped_files(event: &DragEvent) -> Vec<File> {
        files_of(event.data_transfer().and_then(|data| data.files()))
    }

    /// Posts the files to the upload route; any failure comes back as the answer's error, in words.
    pub async fn upload(base_id: Uuid, files: Vec<File>) -> UploadAnswer {
        match send(base_id, &files).await {
            Ok(answer) => answer,
            Err(message) => UploadAnswer {
                added: Vec::new(),
                errors: vec![message],
            },
        }
    }

    async fn send(base_id: Uuid, files: &[File]) -> Result<UploadAnswer, String> {
        let unreachable = |_| {
            "The upload didn't reach the server. Check your connection and try again.".to_owned()
        };
        let form = FormData::new().map_err(unreachable)?;
        for file in files {
            form.append_with_blob_and_filename("file", file, &file.name())
                .map_err(unreachable)?;
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&form);
        let window = web_sys::window().ok_or_else(|| unreachable(wasm_bindgen::JsValue::NULL))?;
        let response: Response =
            JsFuture::from(window.fetch_with_str_and_init(&upload_path(base_id), &init))
                .await
                .map_err(unreachable)?
                .dyn_into()
                .map_err(unreachable)?;
        let status = response.status();
        let body = match response.text() {
            Ok(text) => JsFuture::from(text)
                .await
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        serde_json::from_str::<UploadAnswer>(&body).map_err(|_| match status {
            401 => AppError::Unauthenticated.to_string(),
            403 => AppError::Forbidden.to_string(),
            404 => AppError::NotFound.to_string(),
            413 => "The upload is larger than 25 MB: send fewer files at a time.".to_owned(),
            _ => format!("The upload failed (HTTP {status}). Please try again in a moment."),
        })
    }
}
