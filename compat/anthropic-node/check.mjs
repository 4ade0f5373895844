// Drives Sluice's Anthropic Messages API (/v1/messages) with the official Anthropic SDK for Node, unchanged, the
// way an application would: a message, a stream, tool use both ways, an image, a stream that breaks, an unknown
// model, token counting, and both ways of sending a key. Sluice must serve the model "fake" from a scripted
// upstream: AnthropicNodeSdkIT queues the replies in the order of the chats below.
// Usage: node check.mjs http://127.0.0.1:8080 <Sluice API key>
// Prints one line per check and exits non-zero if any expectation fails.
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { VERSION } from "@anthropic-ai/sdk/version";

const [baseURL, key] = process.argv.slice(2);
if (!baseURL || !key) {
  console.error("usage: node check.mjs <base URL, e.g. http://127.0.0.1:8080> <Sluice API key>");
  process.exit(2);
}

// The key goes in x-api-key, as with Anthropic's own API; no retries, so that a failure shows at once.
const client = new Anthropic({ baseURL, apiKey: key, maxRetries: 0, timeout: 20_000 });
const model = "fake";
const weather = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const failures = [];

function expect(condition, what, detail) {
  if (!condition) {
    failures.push(`${what}${detail === undefined ? "" : `: got ${JSON.stringify(detail)}`}`);
  }
}

async function check(name, body) {
  const before = failures.length;
  try {
    const summary = await body();
    console.log(`${failures.length === before ? "ok  " : "FAIL"} ${name}${summary ? ` (${summary})` : ""}`);
  } catch (error) {
    failures.push(`${name} threw ${error?.constructor?.name}: ${error?.message}`);
    console.log(`FAIL ${name}`);
  }
}

async function expectApiError(call, status, type) {
  try {
    await call();
    expect(false, `a ${status} ${type} is thrown`);
    return "no error";
  } catch (error) {
    expect(error instanceof APIError, "the error is an APIError", error?.constructor?.name);
    expect(error?.status === status, `status is ${status}`, error?.status);
    expect(error?.type === type, `type is ${type}`, error?.type);
    expect(typeof error?.error?.error?.message === "string", "the body has Anthropic's error shape", error?.error);
    return `${error?.status} ${error?.type}`;
  }
}

await check("messages.create answers with one message", async () => {
  const message = await client.messages.create({
    model, max_tokens: 64, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }],
  });
  expect(message.type === "message" && message.role === "assistant", "an assistant message", message);
  expect(message.id?.startsWith("msg_"), "a message id", message.id);
  expect(message.model === model, "the model as asked for", message.model);
  expect(message.content?.[0]?.type === "text" && message.content[0].text === "Hello from Sluice",
    "one text block with the reply", message.content);
  expect(message.stop_reason === "end_turn", "stop_reason is end_turn", message.stop_reason);
  expect(message.usage?.input_tokens > 0 && message.usage?.output_tokens === 3, "usage counts tokens", message.usage);
  return `${message.usage?.output_tokens} tokens, ${message.stop_reason}`;
});

await check("messages.stream streams text deltas, then the final message", async () => {
  const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: "user", content: "Count" }] });
  let deltas = 0;
  let text = "";
  stream.on("text", (delta) => {
    deltas++;
    text += delta;
  });
  const message = await stream.finalMessage();
  expect(deltas === 3 && text === "one two three", "three deltas join into the text", text);
  expect(message.content?.[0]?.text === "one two three", "the final message holds the text", message.content);
  expect(message.stop_reason === "end_turn", "stop_reason is end_turn", message.stop_reason);
  expect(message.usage?.output_tokens === 3 && message.usage?.input_tokens > 0, "usage from message_delta", message.usage);
  return `${deltas} deltas, ${message.usage?.output_tokens} tokens`;
});

await check("tool use comes back as a tool_use block, and its result goes back", async () => {
  const messages = [{ role: "user", content: "Weather in Paris?" }];
  const first = await client.messages.create({
    model, max_tokens: 64, messages, tools: [weather], tool_choice: { type: "tool", name: "get_weather" },
  });
  const use = first.content?.find((block) => block.type === "tool_use");
  expect(first.stop_reason === "tool_use", "stop_reason is tool_use", first.stop_reason);
  expect(use?.name === "get_weather" && use?.input?.city === "Paris", "a tool_use block with its input", first.content);
  const second = await client.messages.create({
    model, max_tokens: 64, tools: [weather],
    messages: [...messages, { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use?.id, content: "21 °C, sunny" }] }],
  });
  expect(second.content?.[0]?.text === "It is sunny", "the answer after the tool result", second.content);
  return `${use?.name}(${JSON.stringify(use?.input)})`;
});

await check("a streamed tool call's input arrives as JSON deltas", async () => {
  const stream = client.messages.stream({
    model, max_tokens: 64, messages: [{ role: "user", content: "Weather in Oslo?" }], tools: [weather],
  });
  let fragments = 0;
  stream.on("inputJson", () => fragments++);
  const message = await stream.finalMessage();
  const use = message.content?.find((block) => block.type === "tool_use");
  expect(fragments >= 2, "the input in several fragments", fragments);
  expect(use?.input?.city === "Oslo", "the fragments parse into the input", message.content);
  expect(message.stop_reason === "tool_use", "stop_reason is tool_use", message.stop_reason);
  return `${fragments} fragments`;
});

await check("an image goes up with its question", async () => {
  const message = await client.messages.create({
    model, max_tokens: 64,
    messages: [{ role: "user", content: [
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "text", text: "What is in this picture?" },
    ] }],
  });
  expect(message.content?.[0]?.text === "A cat", "the answer about it", message.content);
});

await check("a stream that breaks mid-way throws instead of ending cleanly", async () => {
  const stream = await client.messages.create({
    model, max_tokens: 64, stream: true, messages: [{ role: "user", content: "Go on" }],
  });
  const seen = [];
  try {
    for await (const event of stream) {
      seen.push(event.type);
    }
    expect(false, "iterating a broken stream throws", seen);
    return "no error";
  } catch (error) {
    expect(error instanceof APIError, "the error is an APIError", error?.constructor?.name);
    expect(error?.type === "api_error", "Anthropic's api_error", error?.type);
    expect(seen.filter((type) => type === "content_block_delta").length === 2, "the tokens before the break", seen);
    expect(!seen.includes("message_stop"), "no message_stop", seen);
    return `${seen.length} events, then ${error?.type}`;
  }
});

await check("an unknown model throws NotFoundError", async () => {
  const summary = await expectApiError(() => client.messages.create({
    model: "no-such-model", max_tokens: 8, messages: [{ role: "user", content: "Hi" }],
  }), 404, "not_found_error");
  return summary;
});

await check("a request Sluice cannot carry throws BadRequestError naming the field", async () => {
  try {
    await client.messages.create({ model, max_tokens: 8, top_k: 5, messages: [{ role: "user", content: "Hi" }] });
    expect(false, "top_k is refused");
  } catch (error) {
    expect(error instanceof Anthropic.BadRequestError, "a BadRequestError", error?.constructor?.name);
    expect(error?.apiMessage?.startsWith("top_k:"), "the message names the field", error?.apiMessage);
    return error?.apiMessage;
  }
});

await check("messages.countTokens answers an estimate", async () => {
  const count = await client.messages.countTokens({ model, messages: [{ role: "user", content: "Hello there" }] });
  expect(Number.isInteger(count.input_tokens) && count.input_tokens > 0, "input_tokens is counted", count);
  return `${count.input_tokens} tokens`;
});

await check("the key as authToken (Authorization: Bearer) works too", async () => {
  const bearer = new Anthropic({ baseURL, authToken: key, apiKey: null, maxRetries: 0, timeout: 20_000 });
  const message = await bearer.messages.create({ model, max_tokens: 8, messages: [{ role: "user", content: "Hi" }] });
  expect(message.content?.[0]?.text === "Hi back", "the reply", message.content);
});

await check("a wrong key throws AuthenticationError", async () => {
  const stranger = new Anthropic({ baseURL, apiKey: `${key}x`, maxRetries: 0, timeout: 20_000 });
  return expectApiError(() => stranger.messages.create({
    model, max_tokens: 8, messages: [{ role: "user", content: "Hi" }],
  }), 401, "authentication_error");
});

if (failures.length > 0) {
  console.log(`@anthropic-ai/sdk ${VERSION} on node ${process.version}: ${failures.length} failed expectation(s)`);
  for (const failure of failures) {
    console.log(`  - ${failure}`);
  }
  process.exit(1);
}
console.log(`@anthropic-ai/sdk ${VERSION} on node ${process.version}: all checks passed`);
