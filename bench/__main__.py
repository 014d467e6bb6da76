"""`python -m bench`: run every benchmark in turn (add --skip-vllm to leave out the real-model ones)."""

from __future__ import annotations

import sys

from bench import (
    engine_overhead,
    memory,
    movielens,
    pitch_vllm,
    recommend,
    redis_faults,
    stories,
    story_vllm,
    twitch_ingest,
    vllm_latency,
)


def main() -> None:
    engine_overhead.main()
    twitch_ingest.main()
    memory.main()
    stories.main()
    recommend.main()
    redis_faults.main()
    movielens.main()
    if "--skip-vllm" not in sys.argv:
        vllm_latency.main()
        story_vllm.main()
        pitch_vllm.main()


if __name__ == "__main__":
    main()
