"""`make bench`: the foundation's performance figures, measured in one run on one server.

`python -m bench` (started by `dudao dev bench`, which points DUDAO_MONGO_URI at a
fresh SecantusDB and DUDAO_AMQP_URI at a fresh RabbitMQ vhost) prints:

(a) append: events/s through ``MongoEventStore`` for 1- and 10-event commands with
    1 and 8 concurrent writer threads, beside raw pymongo ``insert_one`` /
    ``insert_many`` of the very documents the store wrote, from the same number of
    threads, into the same server;
(b) replay: events/s read through the store (upcasters applied) and folded into
    the consumers' ``unit_directory`` projection, beside a raw cursor read of the
    same collection;
(c) propagation: latency from ``POST /api/v1/units`` at the gateway until the new
    unit is visible in the ``unit_directory`` projection of supervision, study and
    evaluation, at a fixed open-loop offered load; then, on the same stack, a 500-member
    roster imported and attendance of all 500 recorded as ONE command per session, until
    study's read models show it (bench/attendance.py);
(d) county: a 200,000-event county log verified and rebuilt;
(e) roster: a 5,000-member .xlsx previewed and imported through the gateway (one append),
    and the time until each consumer of ``MemberEnrolled`` (the study service's roster,
    sheet and member records, the evaluation service's unit facts) shows every member.

Figures are printed beside the issue's targets; nothing here asserts on timings.
"""
