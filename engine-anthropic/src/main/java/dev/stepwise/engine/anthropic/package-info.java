/**
 * Claude as a Stepwise step: {@link dev.stepwise.engine.anthropic.ClaudeScriptStep} writes a script
 * with the Messages API (official Anthropic Java SDK), from a provider, a preset and a prompt held as
 * config; {@link dev.stepwise.engine.anthropic.PromptTemplate} renders {@code {{placeholder}}} prompts
 * with the job's input.
 */
package dev.stepwise.engine.anthropic;
