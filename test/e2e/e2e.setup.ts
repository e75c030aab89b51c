// End-to-end tests start processes and push thousands of messages through them.
jest.setTimeout(120_000);
