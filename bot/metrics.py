"""Prometheus metrics for the bot process (exposed over HTTP by the operations work)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OOC_REPLIES = Counter(
    "fireside_out_of_character_total",
    "Replies caught out of character, by reason and what was done (regenerated, repaired)",
    ["reason", "action"],
)

COMMANDS = Counter(
    "fireside_commands_total",
    "Commands run, by command, platform and outcome (ok; not_done: refused, unconfirmed or cancelled; failed)",
    ["command", "platform", "outcome"],
)

STORY_CHOICES = Counter(
    "fireside_story_choices_total",
    "Scene choices, by where they came from (model: structured output that validated; fallback: written by code)",
    ["source"],
)

STORY_SUGGESTIONS = Counter(
    "fireside_story_suggestions_total",
    "Story suggestions, by outcome (kept; full: the scene had its cap; woven: handed to the narrator)", ["outcome"])

STORY_MEMORIES = Counter(
    "fireside_story_memories_total",
    "What viewers did in stories, by outcome (remembered in their memory; skipped: opted out; failed)", ["outcome"])

MODERATION = Counter(
    "fireside_moderation_total", "Viewer text checked before public use, by what it was and the verdict",
    ["what", "verdict"])

STORY_POLLS = Counter(
    "fireside_story_polls_total",
    "Native polls beside chat votes, by platform and outcome (opened, chat_only: none could run; read, unread)",
    ["platform", "outcome"])

STORY_VOICES = Counter(
    "fireside_story_voices_total",
    "Story messages on Discord by who posted them (narrator, character: by webhook; bot: no webhook allowed)",
    ["voice"])

RECOMMENDATIONS = Counter(
    "fireside_recommendations_total", "Recommendation requests, by outcome (picked; none: nothing left to offer)",
    ["outcome"])
MODEL_APOLOGIES = Counter(
    "fireside_model_apologies_total",
    "Turns the model server failed (kind: down, overloaded, slow): said (the channel heard an in-character word "
    "about it) or held (a public channel already heard one within the minute: the bot kept quiet)",
    ["kind", "outcome"])
RECOMMENDATION_PITCHES = Counter(
    "fireside_recommendation_pitches_total",
    "How recommendations were phrased: voiced (by the persona), rejected (the model broke a rule: template), "
    "model_down (template), skipped (the model's recent pitches were nearly all refused: template, no model call)",
    ["outcome"])
RECOMMENDATION_ASKS = Counter(
    "fireside_recommendation_asks_total", "Chat messages found asking for a recommendation, by platform",
    ["platform"])

STORY_SCENES = Counter("fireside_story_scenes_total", "Story scenes written, by platform", ["platform"])

STORY_VOTES = Counter(
    "fireside_story_votes_total", "Story votes, by platform and outcome (counted, refused)", ["platform", "outcome"])

PENDING_TURNS = Gauge(
    "fireside_pending_turn_writes", "Finished turns whose write Redis has not acknowledged yet (journaled locally)")
TURN_WRITES = Counter(
    "fireside_turn_writes_total",
    "Turn writes: stored (Redis acknowledged it at once), deferred (kept to retry), retried (written from the "
    "buffer later), dropped (the buffer was full: that turn is lost), purged (forget or opt-out took it out)",
    ["outcome"])
BACKGROUND_RESTARTS = Counter(
    "fireside_background_restarts_total", "Background loops that died (a bug) and were started again, by loop",
    ["task"])
LINKS_DEFANGED = Counter(
    "fireside_links_defanged_total", "Links the model wrote to a site not on the allowlist, defanged before sending")
FLOOD_REFUSALS = Counter(
    "fireside_flood_refusals_total",
    "Chat turns refused before any model call, by limit: user, channel, server, queue (too many waiting in one "
    "channel), empty (nothing left after cleaning), daily_tokens (the viewer's daily budget is spent)", ["limit"])
REDIS_BREAKER_TRIPS = Counter(
    "fireside_redis_breaker_trips_total",
    "Times Redis stopped answering (a timeout or a lost connection) and calls began failing fast for a few seconds")
AOF_REWRITES = Counter(
    "fireside_aof_rewrites_total",
    "Append-only file rewrites asked of Redis after a forget (so the words leave the disk too): started, refused "
    "(a managed Redis that does not allow it), failed", ["outcome"])
MODERATED_LINES = Counter(
    "fireside_moderated_lines_total",
    "History lines removed because of a moderator's action on the platform: deleted (a message), removed (a "
    "viewer banned, timed out or cleared)", ["action"])
IGNORED_EVENTS = Counter(
    "fireside_ignored_events_total", "Messages and commands from users a moderator told the bot to ignore")
CONTENT_BLOCKED = Counter(
    "fireside_content_blocked_total",
    "Messages (in) and replies (out) the content filter stopped, by reason (blocked word, profanity, abuse); "
    "each got a short in-character deflection instead", ["direction", "reason"])
ADULT_REFUSALS = Counter(
    "fireside_adult_persona_refusals_total", "Turns refused because the channel's persona is adult-only and the "
    "channel is not marked for adults")
INFERENCE_QUEUE_WAIT = Histogram(
    "fireside_inference_queue_seconds",
    "How long a model call waited for one of the process's concurrency slots, by who asked (discord, twitch, "
    "console, background); slots are shared round-robin between them", ["group"],
    buckets=(0.01, 0.05, 0.25, 1.0, 2.5, 5.0, 10.0, 30.0))
FLOOD_SYNCS = Counter(
    "fireside_flood_syncs_total",
    "Exchanges of flood counts with the other bot processes through Redis (ok, failed: each process then keeps "
    "to its own limits)", ["outcome"])
SCHEMA_MIGRATIONS = Counter(
    "fireside_schema_migrated_users_total",
    "Users whose stored memory the migration at start converted to the current schema")
FACT_CANDIDATES = Counter(
    "fireside_fact_candidates_total",
    "Candidate facts from users' messages, by who read them (rules, model) and what became of them (stored, known, "
    "rejected by the screen, forget)", ["by", "outcome"])

# What an operator watches first (issue 14): traffic, latency as viewers feel it, and the two servers' errors.
MESSAGES_IN = Counter(
    "fireside_messages_in_total", "Messages that reached the bot, by platform and kind (chat, command)",
    ["platform", "kind"])
REPLIES_OUT = Counter(
    "fireside_replies_out_total", "Replies that ended, by platform and outcome (sent; failed: the viewer was told "
    "it could not be done)", ["platform", "outcome"])
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0)
REPLY_FIRST_TEXT = Histogram(
    "fireside_reply_first_text_seconds", "From the message reaching the bot to the reply's first visible text, "
    "by platform", ["platform"], buckets=_LATENCY_BUCKETS)
REPLY_SECONDS = Histogram(
    "fireside_reply_seconds", "From the message reaching the bot to the reply's end, by platform", ["platform"],
    buckets=_LATENCY_BUCKETS)
IN_FLIGHT = Gauge("fireside_turns_in_flight", "Messages being handled now (waiting for the model or running)")
INFERENCE_ERRORS = Counter(
    "fireside_inference_errors_total", "Turns the model server failed, by kind (overloaded, slow, down)", ["kind"])
REDIS_ERRORS = Counter(
    "fireside_redis_errors_total", "Redis calls that failed, by kind (timeout, connection, error, breaker_open: "
    "refused at once while Redis is known to be down)", ["kind"])
TOKENS = Counter(
    "fireside_tokens_total", "Tokens of chat turns, by direction: out (streamed by the model, one a chunk), in "
    "(the prompt, at about 4 characters a token)", ["direction"])
READY = Gauge("fireside_ready", "1 while Redis and the model server both answer (the readiness probe's verdict)")
MODEL_ROUTES = Counter(
    "fireside_model_routes_total", "Requests sent to each model server, by why it was chosen (sticky: it served the "
    "channel last; least_busy; failover: another one failed first), and servers taken out of rotation (down)",
    ["endpoint", "why"])
CHANNELS_OWNED = Gauge(
    "fireside_channels_owned", "Chat channels this replica serves now (its leases), by platform", ["platform"])
CHANNEL_LEASE_CHANGES = Counter(
    "fireside_channel_lease_changes_total", "Channel leases this replica gained or gave up, by why (gained, "
    "handed_off: another replica joined, lost: it ran out and another took it, expired: Redis was away too long, "
    "released: a graceful stop)", ["platform", "change"])
WEB_REQUESTS = Counter(
    "fireside_web_requests_total", "Dashboard pages and actions served, by page and HTTP status", ["page", "status"])
