/**
 * Azure text to speech as a Stepwise step: {@link dev.stepwise.engine.azure.speech.AzureSpeechStep} speaks a
 * text with the Azure Speech REST API ({@code java.net.http}, no SDK) and stores one WAV artifact.
 */
package dev.stepwise.engine.azure.speech;
