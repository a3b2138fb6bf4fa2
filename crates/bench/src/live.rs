//! Live feeds: write → receive latency. Writers post chat messages at a set
//! rate through one server while subscribers, on the same server or on
//! another one on the same database, wait for them; each message carries the
//! moment its write was sent, and each subscriber notes when it arrives.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use crate::conn::Call;
use crate::feed::{millis, percentile};
use crate::subscriber::{Subscriber, Transport};
use crate::target::Target;

/// Subscribers of each measurement.
pub const SUBSCRIBERS: usize = 100;

/// The write rate asked for, events per second, spread over the writers.
pub const RATE: u32 = 1_000;

/// Writer connections: each posts every `WRITERS` ms, one write at a time.
const WRITERS: u32 = 8;

/// Writes before this are sent but not counted.
const WARM_UP: Duration = Duration::from_millis(500);

/// How long a subscriber waits for the last events once writing stops.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct LiveFigure {
    pub database: &'static str,
    pub transport: Transport,
    /// Whether the subscribers were on the writers' server or another one.
    pub across: bool,
    pub written: usize,
    pub rate: f64,
    /// Deliveries expected and not received.
    pub lost: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Receive after the write's answer (0 when it came first).
    pub beyond_p50: Duration,
    pub beyond_p99: Duration,
    /// The writes themselves: request sent → 201 read.
    pub write_p50: Duration,
    pub write_p99: Duration,
}

impl std::fmt::Display for LiveFigure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "live {} {} server: {} events at {:.0}/s to {SUBSCRIBERS} subscribers, \
             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} lost; writes p50 {:.2} ms, p99 {:.2} ms; \
             after the write's answer p50 {:.2} ms, p99 {:.2} ms",
            self.transport.name(),
            if self.across { "another" } else { "the same" },
            self.written,
            self.rate,
            millis(self.p50),
            millis(self.p99),
            millis(self.max),
            self.lost,
            millis(self.write_p50),
            millis(self.write_p99),
            millis(self.beyond_p50),
            millis(self.beyond_p99)
        )
    }
}

/// When the write of a message was sent (µs from the run's start), from
/// the `t<µs>` it says.
fn sent_at(text: &str) -> Option<u64> {
    const MARK: &str = r#""content":"t"#;
    let rest = &text[text.find(MARK)? + MARK.len()..];
    rest[..rest.find('"')?].parse().ok()
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// One measurement: `window` of writes through `writer` at [`RATE`], read
/// by [`SUBSCRIBERS`] subscribers of `transport` on `reader`.
pub async fn measure(
    writer: &Target,
    reader: &Target,
    transport: Transport,
    key: &str,
    window: Duration,
) -> anyhow::Result<LiveFigure> {
    let admin = writer.api.admin.clone();
    let project = writer.api.project(&admin, key).await?;
    let query = format!("project_id={project}&types=chat_message");
    let mut subscribers = Vec::with_capacity(SUBSCRIBERS);
    for _ in 0..SUBSCRIBERS {
        subscribers.push(Subscriber::open(transport, reader.api.addr(), &admin, &query).await?);
    }
    let start = Instant::now();
    let (written, total) = watch::channel(None::<usize>);
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|subscriber| tokio::spawn(receive(subscriber, start, total.clone())))
        .collect();
    let api = writer.api.clone();
    let (count, answered) = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(write(api, admin, project, start, window))
    })
    .await??;
    let mut writes: Vec<Duration> = answered.values().copied().collect();
    writes.sort_unstable();
    let elapsed = start.elapsed();
    let _ = written.send(Some(count));
    let (mut latencies, mut beyond) = (Vec::new(), Vec::new());
    let mut received = 0;
    for reader in readers {
        let got = reader.await?;
        received += got.len();
        for (sent, took) in got {
            let Some(write) = answered.get(&sent) else {
                continue; // warming up
            };
            let took = Duration::from_micros(took);
            latencies.push(took);
            beyond.push(took.saturating_sub(*write));
        }
    }
    latencies.sort_unstable();
    beyond.sort_unstable();
    anyhow::ensure!(!latencies.is_empty(), "no event reached a subscriber");
    Ok(LiveFigure {
        database: writer.name,
        transport,
        across: !std::ptr::eq(writer, reader),
        written: count,
        rate: count as f64 / elapsed.as_secs_f64(),
        lost: (count * SUBSCRIBERS).saturating_sub(received),
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        max: latencies.last().copied().unwrap_or_default(),
        beyond_p50: percentile(&beyond, 50),
        beyond_p99: percentile(&beyond, 99),
        write_p50: percentile(&writes, 50),
        write_p99: percentile(&writes, 99),
    })
}

/// The writers: [`WRITERS`] connections posting at [`RATE`] in all until
/// `window` has passed after the warm-up. They run on a thread of their own,
/// as clients apart from the subscribers, so that a write's answer is not
/// read only after the subscribers' messages. Returns the events written,
/// and each counted write's latency by when it was sent (µs).
async fn write(
    api: crate::api::Api,
    admin: String,
    project: uuid::Uuid,
    start: Instant,
    window: Duration,
) -> anyhow::Result<(usize, HashMap<u64, Duration>)> {
    let path = "/api/v1/events";
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (api, admin) = (api.clone(), admin.clone());
            tokio::spawn(async move {
                let mut conn = api.connect(&admin).await?;
                // Writers start spread over their period.
                tokio::time::sleep(Duration::from_micros(
                    u64::from(n) * 1_000_000 / u64::from(RATE),
                ))
                .await;
                let mut tick = tokio::time::interval(Duration::from_millis(u64::from(WRITERS)));
                let (mut count, mut took) = (0usize, Vec::new());
                while start.elapsed() < WARM_UP + window {
                    tick.tick().await;
                    let sent = start.elapsed();
                    let body = json!({"project_id": project, "type": "chat_message",
                                      "payload": {"content": format!("t{}", micros(sent))}});
                    conn.send(&Call::post(path, &body)?).await?;
                    count += 1;
                    if sent >= WARM_UP {
                        took.push((micros(sent), start.elapsed() - sent));
                    }
                }
                anyhow::Ok((count, took))
            })
        })
        .collect();
    let (mut count, mut answered) = (0, HashMap::new());
    for writer in writers {
        let (written, took) = writer.await??;
        count += written;
        answered.extend(took);
    }
    Ok((count, answered))
}

/// What one subscriber received: when each was sent, and how long it took
/// (µs), until it has as many as were written or [`DRAIN`] passes.
async fn receive(
    mut subscriber: Subscriber,
    start: Instant,
    mut total: watch::Receiver<Option<usize>>,
) -> Vec<(u64, u64)> {
    let mut got = Vec::with_capacity(usize::try_from(RATE).unwrap_or(0) * 10);
    loop {
        let written = *total.borrow_and_update();
        if written.is_some_and(|w| got.len() >= w) {
            return got;
        }
        tokio::select! {
            text = subscriber.next() => match text.as_deref().and_then(sent_at) {
                Some(sent) => got.push((sent, micros(start.elapsed()).saturating_sub(sent))),
                None if text.is_none() => return got,
                None => {}
            },
            changed = total.changed(), if written.is_none() => {
                if changed.is_err() {
                    return got; // the writers failed
                }
            }
            () = tokio::time::sleep(DRAIN), if written.is_some() => return got,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sent_moment_is_read_from_the_message() {
        let text = r#"{"id":"x","payload":{"content":"t12345"},"type":"chat_message"}"#;
        assert_eq!(super::sent_at(text), Some(12_345));
        assert_eq!(super::sent_at(r#"{"payload":{"content":"hello"}}"#), None);
    }
}
