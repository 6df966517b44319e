"""Image models: an image step is priced per image, by quality and size.

``make_agent_async`` gives an image agent for image models (DALL·E, gpt-image). Its cost is the
configured ``price_per_image_<quality>_<size>`` times the images generated, exactly.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from _offline import offline_openai  # no OPENAI_API_KEY: a local server (see _offline.py)
from llmledger import Runner, Step, load_prices, make_agent_async
from llmledger.money import format_usd

CONFIG = """\
[cost.providers.openai."dall-e-3"]
price_per_image_standard_1024x1024 = 0.040
price_per_image_hd_1792x1024 = 0.120
"""


def main() -> None:
    """Generate one HD 1792x1024 image and show its cost."""
    with tempfile.TemporaryDirectory() as folder, offline_openai():
        config = Path(folder) / "llmledger.toml"
        config.write_text(CONFIG, encoding="utf-8")

        painter = make_agent_async(
            "openai:dall-e-3", "A clean, flat illustration of:", str, quality="hd", size="1792x1024"
        )
        result = Runner(Step("illustrate", painter), prices=load_prices(config)).run("a ledger book")

    step = result.step_history[0]
    for image in step.usage.images if step.usage is not None else ():
        print(f"Images: {image.count} x {image.quality} {image.size}")
    print(f"Step {step.name} ({step.model}): {format_usd(step.cost_usd)}")
    print(f"cost_usd == Decimal('0.120'): {step.cost_usd == Decimal('0.120')}")


if __name__ == "__main__":
    main()
