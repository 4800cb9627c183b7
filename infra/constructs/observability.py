"""Alarms: failed executions, dead-letter queues and function errors, all to one SNS topic.

Owns: the alarm topic (with an optional e-mail subscription) and the alarms. Does not own
logs or traces: every function sets log retention and X-Ray tracing where it is created
(``common.python_function``, ``pipeline.py``), and powertools does the rest in the handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sqs as sqs
    from aws_cdk import aws_stepfunctions as sfn


class Observability(Construct):
    """Alarms on the pipeline, the DLQs and the functions.

    Attributes:
        topic: Where every alarm notifies.
        alarms: Every alarm, by construct id.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.StateMachine,
        dead_letter_queues: dict[str, sqs.IQueue],
        functions: dict[str, lambda_.IFunction],
        alarm_email: str | None,
        topic_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", enforce_ssl=True, master_key=topic_key)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        self._alarm(
            "ExecutionsFailed",
            state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            "a pipeline execution failed (the job is marked failed; see MarkFailed's input)",
        )
        self._alarm(
            "ExecutionsTimedOut",
            state_machine.metric_timed_out(period=Duration.minutes(5), statistic="Sum"),
            "a pipeline execution hit the backstop timeout",
        )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}DlqDepth",
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                f"{name}: events landed in the dead-letter queue",
            )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                f"{name}: the function raised",
                threshold=5,
            )

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: int = 1
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms[construct_id] = alarm
