"""Buyers' reviews, the writing side: who may review an order line, writing and editing
(writing.py), the signed review link of an e-mail (links.py), the cooperative's one answer
(answers.py), reports and what PFA staff decide on them (moderation.py), the reminder e-mail
3 days after delivery (reminders.py), and the rating summary of each listing kept in step
with all of them (stats.py). The rules' constants and errors are in rules.py."""
