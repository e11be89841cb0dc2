"""kefu on AWS: a CDK app (app.py) whose stacks are built from the code's own catalogues (tables, jobs,
metrics, resource names), so that what is deployed follows what the code declares."""
