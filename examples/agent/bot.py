"""A minimal Pipecat Cloud agent: the base image calls `bot(args)` for each session."""

from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineTask
from pipecatcloud.agent import DailySessionArguments


async def bot(args: DailySessionArguments) -> None:
    pipeline = Pipeline([])
    await PipelineRunner().run(PipelineTask(pipeline))
