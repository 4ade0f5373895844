// Drives Sluice's OpenAI-compatible /v1 API with the official OpenAI SDK for Node, unchanged,
// the way an application would: list models, one plain completion, one streamed with usage,
// an unknown model, against the demo simulator; what Sluice must pass on as it came (see "Chat
// Completions, faithfully" below), against the model "fake", a scripted upstream whose replies
// OpenAiNodeSdkIT queues in the order of those chats, and whose received bodies it checks; and
// embeddings (see checkEmbeddings). Usage: node check.mjs http://127.0.0.1:8080/v1
// Prints one line per check and exits non-zero if any expectation fails.
import OpenAI, { APIError } from "openai";
import { VERSION } from "openai/version";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node check.mjs <base URL, e.g. http://127.0.0.1:8080/v1>");
  process.exit(2);
}

// Anonymous access is on, so any key passes; no retries, so that a failure shows at once.
const client = new OpenAI({ baseURL, apiKey: "sk-anything", maxRetries: 0, timeout: 20_000 });
const messages = [{ role: "user", content: "Hi" }];
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

await check("models.list names the demo alias", async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    ids.push(model.id);
  }
  expect(ids.includes("demo"), "models.list contains demo", ids);
  return ids.join(", ");
});

await check("chat.completions.create answers in one completion", async () => {
  const { data, response } = await client.chat.completions
    .create({ model: "demo", messages })
    .withResponse();
  const choice = data.choices?.[0];
  expect(data.object === "chat.completion", "object is chat.completion", data.object);
  expect(typeof choice?.message?.content === "string" && choice.message.content.length > 0,
    "message content is non-empty", choice?.message);
  expect(choice?.message?.role === "assistant", "message role is assistant", choice?.message?.role);
  expect(Boolean(choice?.finish_reason), "finish_reason is set", choice?.finish_reason);
  expect(data.usage?.completion_tokens > 0 && data.usage?.total_tokens >= data.usage?.completion_tokens,
    "usage counts tokens", data.usage);
  expect(Boolean(response.headers.get("x-request-id")), "X-Request-ID header is present");
  return `${data.usage?.completion_tokens} tokens, finish_reason ${choice?.finish_reason}`;
});

await check("chat.completions.create with stream:true streams chunks, then usage", async () => {
  const stream = await client.chat.completions.create({
    model: "demo",
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  let chunks = 0;
  let deltas = 0;
  let text = "";
  let finishReason = null;
  let usage = null;
  let usageChunkIsLast = false;
  // The loop ends only when the SDK has read [DONE]; a broken stream throws instead.
  for await (const chunk of stream) {
    chunks++;
    expect(chunk.object === "chat.completion.chunk", "every chunk is a chat.completion.chunk", chunk.object);
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) {
      deltas++;
      text += choice.delta.content;
    }
    if (choice?.finish_reason) {
      finishReason = choice.finish_reason;
    }
    usageChunkIsLast = Boolean(chunk.usage);
    if (chunk.usage) {
      usage = chunk.usage;
      expect(chunk.choices.length === 0, "the usage chunk has no choices", chunk.choices);
    }
  }
  expect(deltas >= 2, "several content deltas", deltas);
  expect(text.length > 0, "the deltas join into text", text);
  expect(Boolean(finishReason), "a chunk carries finish_reason", finishReason);
  expect(usage?.completion_tokens > 0, "a usage chunk counts tokens", usage);
  expect(usageChunkIsLast, "the usage chunk comes last");
  return `${chunks} chunks, ${deltas} deltas, finish_reason ${finishReason}, ${usage?.completion_tokens} tokens`;
});

await check("an unknown model throws APIError 404 model_not_found", async () => {
  try {
    await client.chat.completions.create({ model: "no-such-model", messages });
    expect(false, "an unknown model is refused");
    return "no error";
  } catch (error) {
    expect(error instanceof APIError, "the error is an APIError", error?.constructor?.name);
    expect(error instanceof OpenAI.NotFoundError, "the error is a NotFoundError", error?.constructor?.name);
    expect(error?.status === 404, "status is 404", error?.status);
    expect(error?.code === "model_not_found", "code is model_not_found", error?.code);
    expect(typeof error?.error?.message === "string" && error.error.message.length > 0,
      "the error body has a message", error?.error);
    return `${error?.status} ${error?.code}`;
  }
});

// --- Chat Completions, faithfully: parameters and parts Sluice does not model reach the upstream as sent
// (OpenAiNodeSdkIT checks what it received), and what the upstream says beyond the neutral model comes back.

const fake = "fake";

async function chatWithMaxCompletionTokensAndReasoningEffort() {
  const completion = await client.chat.completions.create({
    model: fake,
    messages: [{ role: "user", content: "Think, briefly" }],
    max_completion_tokens: 64,
    reasoning_effort: "low",
  });
  const content = completion.choices?.[0]?.message?.content;
  expect(typeof content === "string" && content.length > 0, "a reasoning model's request is answered", completion);
  return content;
}

async function chatWithAnImagePart() {
  const completion = await client.chat.completions.create({
    model: fake,
    messages: [{
      role: "user",
      content: [
        { type: "text", text: "What is in this image?" },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
      ],
    }],
  });
  expect(completion.choices?.[0]?.finish_reason === "stop", "an image part is no 400", completion);
  return completion.choices?.[0]?.message?.content;
}

async function chatWithMultiPartText() {
  const completion = await client.chat.completions.create({
    model: fake,
    messages: [{ role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] }],
  });
  expect(completion.choices?.[0]?.finish_reason === "stop", "several text parts are answered", completion);
  return completion.choices?.[0]?.message?.content;
}

async function chatWithAJsonSchema() {
  const completion = await client.chat.completions.create({
    model: fake,
    messages: [{ role: "user", content: "2 + 2?" }],
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "answer",
        strict: true,
        schema: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false },
      },
    },
  });
  const answer = JSON.parse(completion.choices?.[0]?.message?.content ?? "null")?.answer;
  expect(answer === "4", "the reply is the JSON the schema asks for", completion.choices?.[0]?.message);
  return `answer ${answer}`;
}

async function streamWithReasoningAndLogprobs() {
  const stream = await client.chat.completions.create({
    model: fake,
    messages: [{ role: "user", content: "2 + 2?" }],
    stream: true,
    logprobs: true,
  });
  let reasoning = "";
  let text = "";
  const tokens = [];
  const fingerprints = new Set();
  for await (const chunk of stream) {
    fingerprints.add(chunk.system_fingerprint);
    const choice = chunk.choices?.[0];
    reasoning += choice?.delta?.reasoning_content ?? "";
    text += choice?.delta?.content ?? "";
    tokens.push(...(choice?.logprobs?.content ?? []).map((entry) => entry.token));
  }
  expect(reasoning === "Two and two.", "the upstream's reasoning_content reaches the SDK", reasoning);
  expect(text === "4", "and the answer after it", text);
  expect(tokens.join("") === "4", "with its logprobs", tokens);
  expect(fingerprints.size === 1 && fingerprints.has("fp_sdk"), "every chunk has the system_fingerprint", [...fingerprints]);
  return `reasoning "${reasoning}", answer "${text}"`;
}

async function modelListWithAStarProvidersModels() {
  const ids = [];
  for await (const model of client.models.list()) {
    ids.push(model.id);
  }
  expect(ids.includes("fake/fake-model"), "the list has the models the \"*\" provider's upstream lists", ids);
  return ids.filter((id) => id.startsWith("fake/")).join(", ");
}

await check("chat with max_completion_tokens and reasoning_effort", chatWithMaxCompletionTokensAndReasoningEffort);
await check("chat with an image part (a data URL)", chatWithAnImagePart);
await check("chat with multi-part text", chatWithMultiPartText);
await check("chat with a json_schema response_format", chatWithAJsonSchema);
await check("a stream's reasoning_content, logprobs and system_fingerprint", streamWithReasoningAndLogprobs);
await check("models.list has a \"*\" provider's models", modelListWithAStarProvidersModels);

// --- Embeddings -------------------------------------------------------------------------------------------
// The alias "embed" routes to the fake upstream of OpenAiNodeSdkIT (which checks what the fake was sent): its
// vectors are i + 1 + j / 4 for input i and dimension j (3 dimensions unless asked), its prompt_tokens the words.
async function checkEmbeddings() {
  await check("embeddings.create decodes the base64 it asks for by default into the fake's vectors", async () => {
    const { data: reply, response } = await client.embeddings
      .create({ model: "embed", input: ["Hello world", "Bonjour"] })
      .withResponse();
    expect(reply.object === "list", "object is list", reply.object);
    expect(reply.model === "embed", "model is the alias asked for", reply.model);
    expect(reply.data?.length === 2, "one embedding per input", reply.data?.length);
    reply.data?.forEach((item, i) => {
      expect(item.object === "embedding" && item.index === i, `data[${i}] is embedding ${i}`, item);
      expect(JSON.stringify(Array.from(item.embedding)) === JSON.stringify([i + 1, i + 1.25, i + 1.5]),
        `data[${i}] is the fake's vector, decoded`, Array.from(item.embedding ?? []));
    });
    expect(reply.usage?.prompt_tokens === 3 && reply.usage?.total_tokens === 3, "usage counts the fake's 3 words",
      reply.usage);
    expect(response.headers.get("x-sluice-provider") === "fake/text-embedding-3-small",
      "X-Sluice-Provider names the target", response.headers.get("x-sluice-provider"));
    expect(response.headers.get("x-sluice-cache") === "bypass", "embeddings are never cached",
      response.headers.get("x-sluice-cache"));
    return `${reply.data?.length} vectors of ${reply.data?.[0]?.embedding?.length}, ${reply.usage?.prompt_tokens} tokens`;
  });

  await check("embeddings.create with encoding_format float and dimensions passes both through", async () => {
    const reply = await client.embeddings.create({ model: "embed", input: "One", encoding_format: "float", dimensions: 2 });
    expect(JSON.stringify(reply.data?.[0]?.embedding) === "[1,1.25]", "two float dimensions", reply.data?.[0]?.embedding);
    return `${reply.data?.[0]?.embedding?.length} dimensions`;
  });

  await check("embeddings.create on the demo simulator answers without a provider", async () => {
    const reply = await client.embeddings.create({ model: "demo", input: "the cat sat on the mat" });
    const vector = Array.from(reply.data?.[0]?.embedding ?? []);
    const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
    expect(vector.length === 256, "256 dimensions", vector.length);
    expect(Math.abs(norm - 1) < 1e-4, "of length 1", norm);
    return `${vector.length} dimensions, norm ${norm.toFixed(4)}`;
  });

  await check("embeddings.create with an empty input throws BadRequestError naming input", async () => {
    try {
      await client.embeddings.create({ model: "embed", input: [] });
      expect(false, "an empty input is refused");
      return "no error";
    } catch (error) {
      expect(error instanceof OpenAI.BadRequestError, "the error is a BadRequestError", error?.constructor?.name);
      expect(error?.param === "input", "param is input", error?.param);
      return `${error?.status} ${error?.param}`;
    }
  });
}

await checkEmbeddings();

if (failures.length > 0) {
  console.log(`openai ${VERSION} on node ${process.version}: ${failures.length} failed expectation(s)`);
  for (const failure of failures) {
    console.log(`  - ${failure}`);
  }
  process.exit(1);
}
console.log(`openai ${VERSION} on node ${process.version}: all checks passed`);
