/**
 * The {@code wordcount} example recipe and its steps: read a text file, split it into
 * lowercase words, count them and write a Markdown report.
 */
package dev.stepwise.engine.examples.wordcount;
