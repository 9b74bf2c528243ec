//! Live updates in the browser: one server-sent event stream per signed-in page, shared through
//! context. Pages read `LiveUpdates` and refetch when something they show changed. The stream
//! reconnects by itself after a server restart or a network blip, and a reconnect counts as "all
//! changed", since events may have been missed meanwhile.
use leptos::prelude::*;
use uuid::Uuid;

/// The last change the stream reported: a counter that only grows, and the conversation that changed
/// (`None`: anything may have changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    pub seq: u64,
    pub conversation: Option<Uuid>,
}

/// Whether the page is receiving live updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

#[derive(Debug, Clone, Copy)]
pub struct LiveUpdates {
    pub change: RwSignal<Change>,
    pub status: RwSignal<LiveStatus>,
}

impl LiveUpdates {
    /// Counts every change (for lists and counters).
    pub fn any(self) -> Memo<u64> {
        Memo::new(move |_| self.change.get().seq)
    }

    /// Counts the changes that may concern one conversation.
    pub fn of(self, conversation: Signal<Option<Uuid>>) -> Memo<u64> {
        Memo::new(move |previous: Option<&u64>| {
            let change = self.change.get();
            let mine = conversation.get();
            match (previous, change.conversation) {
                (Some(previous), Some(changed)) if Some(changed) != mine => *previous,
                _ => change.seq,
            }
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn record(self, conversation: Option<Uuid>) {
        self.change.update(|change| {
            change.seq += 1;
            change.conversation = conversation;
        });
    }
}

/// The page's live updates, or a quiet stand-in outside the signed-in frame.
pub fn use_live() -> LiveUpdates {
    use_context::<LiveUpdates>().unwrap_or_else(|| LiveUpdates {
        change: RwSignal::new(Change::default()),
        status: RwSignal::new(LiveStatus::Connecting),
    })
}

/// Provides `LiveUpdates` to the pages below. Call it in a route's component itself (not inside a
/// `Suspense`), so that nested routes see it too.
pub fn provide_live_updates() -> LiveUpdates {
    let live = LiveUpdates {
        change: RwSignal::new(Change::default()),
        status: RwSignal::new(LiveStatus::Connecting),
    };
    provide_context(live);
    live
}

/// Opens the stream (in the browser) for as long as the calling component lives.
pub fn connect_live_updates(live: LiveUpdates) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Not before the page has hydrated: the stream's first event makes the page refetch, and a
        // refetch while a Suspense below is still hydrating breaks hydration. The refetch then
        // covers whatever changed since the page was rendered. A page loaded directly hydrates its
        // lazily loaded route only once that route's chunk has arrived, which may take longer than
        // any fixed delay: so wait for the mark `hydrate` leaves on <body> when it is done.
        connect_once_hydrated(live, stopped.clone());
        on_cleanup(move || stopped.store(true, std::sync::atomic::Ordering::Relaxed));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
}

/// The attribute `crate::hydrate` puts on <body> once the page, its lazily loaded route included, has
/// hydrated: tests wait for it, and the live updates do not start before it.
pub const HYDRATED_ATTRIBUTE: &str = "data-hydrated";

/// Connects the stream once the page has hydrated (`crate::hydrate` marks <body>), unless stopped.
#[cfg(feature = "hydrate")]
fn connect_once_hydrated(
    live: LiveUpdates,
    stopped: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    if stopped.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let hydrated = document()
        .body()
        .is_some_and(|body| body.has_attribute(HYDRATED_ATTRIBUTE));
    if hydrated {
        browser::connect(live, 0, stopped);
    } else {
        set_timeout(
            move || connect_once_hydrated(live, stopped),
            std::time::Duration::from_millis(100),
        );
    }
}

/// A small line that says whether updates arrive by themselves.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let live = use_live();
    view! {
        <p class="flex items-center gap-1.5 text-xs text-slate-600" role="status" data-testid="live-status">
            <span
                aria-hidden="true"
                class=move || match live.status.get() {
                    LiveStatus::Live => "inline-block h-2 w-2 rounded-full bg-emerald-600",
                    _ => "inline-block h-2 w-2 rounded-full bg-amber-500",
                }
            ></span>
            {move || match live.status.get() {
                LiveStatus::Live => "Live",
                LiveStatus::Connecting => "Connecting…",
                LiveStatus::Reconnecting => "Reconnecting…",
            }}
        </p>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{LiveStatus, LiveUpdates};
    use crate::server_fns::inbox::EVENTS_PATH;
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, MessageEvent};

    /// Changes closer together than this are reported as one.
    const COALESCE: Duration = Duration::from_millis(150);

    pub fn connect(live: LiveUpdates, failures: u32, stopped: Arc<AtomicBool>) {
        if stopped.load(Ordering::Relaxed) {
            return;
        }
        let Ok(source) = EventSource::new(EVENTS_PATH) else {
            retry(live, failures, stopped);
            return;
        };
        // A burst of changes (a flood of texts) becomes one refetch.
        let pending: StoredValue<Option<Option<uuid::Uuid>>, LocalStorage> =
            StoredValue::new_local(None);
        let report = move |conversation: Option<uuid::Uuid>| {
            let first = pending.with_value(Option::is_none);
            pending.update_value(|p| {
                *p = Some(match p {
                    Some(Some(earlier)) if Some(*earlier) == conversation => conversation,
                    Some(_) => None,
                    None => conversation,
                })
            });
            if first {
                set_timeout(
                    move || {
                        if let Some(conversation) = pending.try_update_value(Option::take).flatten()
                        {
                            live.record(conversation);
                        }
                    },
                    COALESCE,
                );
            }
        };
        let on_ready = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            live.status.set(LiveStatus::Live);
            live.record(None);
        });
        let on_changed = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let conversation = event
                .data()
                .as_string()
                .and_then(|id| uuid::Uuid::parse_str(&id).ok());
            report(conversation);
        });
        let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("changed", on_changed.as_ref().unchecked_ref());
        let handle = SendWrapper::new(source.clone());
        let on_error = {
            let stopped = stopped.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                if stopped.load(Ordering::Relaxed) {
                    handle.close();
                    return;
                }
                live.status.set(LiveStatus::Reconnecting);
                // The browser retries by itself unless the stream is closed for good (the server
                // said no, or could not be reached at all): then start over, later each time.
                if handle.ready_state() == EventSource::CLOSED {
                    retry(live, failures + 1, stopped.clone());
                }
            })
        };
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_ready.forget();
        on_changed.forget();
        on_error.forget();
        let source = SendWrapper::new(source);
        on_cleanup(move || source.close());
    }

    fn retry(live: LiveUpdates, failures: u32, stopped: Arc<AtomicBool>) {
        let delay = Duration::from_secs(u64::from(failures.clamp(1, 15)));
        set_timeout(move || connect(live, failures, stopped), delay);
    }
}
