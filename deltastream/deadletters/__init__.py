"""Dead-letters context: the one home of the messages and tasks the pipeline gave up on.

Every context records them through the kernel (``core.deadletters.record_dead_letter``); this
context owns the ``dead_letters`` table (``repository.DeadLetterStore``) and lists and replays
them: ``router`` (``/api/dead-letters``, admin only), ``service.DeadLetters`` and ``cli``
(``deltastream dead-letters list|replay``).
"""
