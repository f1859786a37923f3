"""Durable sync jobs: the queue in the store, the work a job does, the engines that run it."""
