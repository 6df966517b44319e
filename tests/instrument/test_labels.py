import asyncio
import threading

import openai

from llmledger import CostTracker
from llmledger.labels import ContextThreadPoolExecutor, current_labels, run_in_context
from llmledger.testing import LocalOpenAIServer

from .conftest import PRICES

MESSAGES = [{"role": "user", "content": "hi"}]


def test_labels_on_track_calls_explicit_wins() -> None:
    tracker = CostTracker(PRICES)
    with tracker.labels(layout_name="a.jpg", master_id="m1"):
        with tracker.labels(step="detect"):
            tracker.track_api_call("x", model="openai:gpt-4o", prompt_tokens=1, completion_tokens=1, master_id="m2")
        assert current_labels() == {"layout_name": "a.jpg", "master_id": "m1"}
    tracker.track_api_call("x", model="openai:gpt-4o", prompt_tokens=1, completion_tokens=1)
    first, second = tracker.records()
    assert first.labels == {"layout_name": "a.jpg", "master_id": "m2", "step": "detect"}
    assert second.labels == {}


def test_labels_reach_instrumented_calls_threads_and_tasks(openai_server: LocalOpenAIServer) -> None:
    tracker = CostTracker(PRICES)
    with openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client, step="detect")

        def call(name: str) -> None:
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, user=name)

        with tracker.labels(layout_name="a.jpg"):
            call("inline")
            thread = threading.Thread(target=run_in_context(call), args=("thread",))
            thread.start()
            thread.join()
            with ContextThreadPoolExecutor(2) as pool:
                list(pool.map(call, ["pool"]))

            async def tasks() -> None:
                await asyncio.gather(asyncio.to_thread(call, "to_thread"), asyncio.create_task(asyncio.sleep(0)))

            asyncio.run(tasks())
        plain = threading.Thread(target=call, args=("plain thread",))  # no context copied: no labels
        plain.start()
        plain.join()
    labels = [r.labels for r in tracker.records()]
    assert labels[:4] == [{"layout_name": "a.jpg", "step": "detect"}] * 4
    assert labels[4] == {"step": "detect"}


def test_labels_flow_into_asyncio_tasks() -> None:
    tracker = CostTracker(PRICES)

    async def work(i: int) -> None:
        await asyncio.sleep(0)
        tracker.track_api_call("x", model="openai:gpt-4o", prompt_tokens=1, completion_tokens=1, i=i)

    async def main() -> None:
        with tracker.labels(layout_name="b.jpg"):
            tasks = [asyncio.create_task(work(i)) for i in range(3)]
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert sorted((r.labels["layout_name"], r.labels["i"]) for r in tracker.records()) == [
        ("b.jpg", i) for i in range(3)
    ]
