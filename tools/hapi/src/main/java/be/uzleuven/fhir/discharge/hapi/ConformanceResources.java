package be.uzleuven.fhir.discharge.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's conformance resources (profiles/fsh-generated/resources: SUSHI's output), read once
 * at start-up. StructureDefinitions, ValueSets and CodeSystems go into a
 * {@link PrePopulatedValidationSupport} for the validator; the other definitions (Questionnaire,
 * PlanDefinition, ActivityDefinition, ...) are stored in the server by {@link StartupLoader}, where
 * the validator and clients find them too.
 *
 * <p>FHIR packages the profiles depend on (HL7 Belgium's core profiles, when a package cache holds
 * them) are read from their unpacked folders (a FHIR package cache's {@code name#version/package}):
 * only their StructureDefinitions, ValueSets and CodeSystems, into the same validation support;
 * their examples and other resources are not stored.
 */
public final class ConformanceResources {

	private static final Logger ourLog = LoggerFactory.getLogger(ConformanceResources.class);
	private static final Set<String> VALIDATION_TYPES = Set.of("StructureDefinition", "ValueSet", "CodeSystem");

	private final PrePopulatedValidationSupport myValidationSupport;
	private final List<IBaseResource> myToStore;
	private final int myValidationCount;

	private ConformanceResources(
			PrePopulatedValidationSupport validationSupport, List<IBaseResource> toStore, int validationCount) {
		myValidationSupport = validationSupport;
		myToStore = toStore;
		myValidationCount = validationCount;
	}

	public static ConformanceResources load(FhirContext ctx, String directory, String packageFolders) {
		PrePopulatedValidationSupport support = new PrePopulatedValidationSupport(ctx);
		List<IBaseResource> toStore = new ArrayList<>();
		int fromPackages = 0;
		for (String folder : splitFolders(packageFolders)) {
			fromPackages += loadPackage(ctx, support, Path.of(folder));
		}
		if (directory == null || directory.isBlank()) {
			ourLog.warn("No conformance directory given (HAPI_CONFORMANCE_DIR): validating against base R4 only");
			return new ConformanceResources(support, toStore, fromPackages);
		}
		Path dir = Path.of(directory);
		if (!Files.isDirectory(dir)) {
			throw new IllegalStateException("Conformance directory not found: " + dir.toAbsolutePath());
		}
		IParser parser = ctx.newJsonParser();
		int count = 0;
		try (Stream<Path> files = Files.list(dir)) {
			for (Path file : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
				IBaseResource resource = parser.parseResource(Files.readString(file, StandardCharsets.UTF_8));
				String type = ctx.getResourceType(resource);
				if (VALIDATION_TYPES.contains(type)) {
					support.addResource(resource);
					count++;
				} else {
					toStore.add(resource);
				}
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		ourLog.info(
				"Conformance resources from {}: {} for the validator, {} to store",
				dir.toAbsolutePath(),
				count,
				toStore.size());
		return new ConformanceResources(support, toStore, count + fromPackages);
	}

	private static List<String> splitFolders(String folders) {
		if (folders == null || folders.isBlank()) {
			return List.of();
		}
		return Stream.of(folders.split(File.pathSeparator))
				.filter(f -> !f.isBlank())
				.toList();
	}

	/**
	 * One unpacked FHIR package (its package.json names it): its StructureDefinitions, ValueSets and
	 * CodeSystems for the validator, chosen by the package's .index.json when it has one (so files
	 * of other kinds are never parsed). A folder that is not a package stops the start-up: a test
	 * that asked for a package must not run against a server without it.
	 */
	private static int loadPackage(FhirContext ctx, PrePopulatedValidationSupport support, Path folder) {
		Path manifest = folder.resolve("package.json");
		if (!Files.isRegularFile(manifest)) {
			throw new IllegalStateException("Not a FHIR package folder (no package.json): " + folder.toAbsolutePath());
		}
		IParser parser = ctx.newJsonParser();
		int count = 0;
		try {
			for (Path file : packageFiles(folder)) {
				IBaseResource resource = parser.parseResource(Files.readString(file, StandardCharsets.UTF_8));
				if (VALIDATION_TYPES.contains(ctx.getResourceType(resource))) {
					support.addResource(resource);
					count++;
				}
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		ourLog.info(
				"FHIR package {} from {}: {} for the validator", packageId(manifest), folder.toAbsolutePath(), count);
		return count;
	}

	private static List<Path> packageFiles(Path folder) throws IOException {
		Path index = folder.resolve(".index.json");
		if (Files.isRegularFile(index)) {
			List<Path> listed = new ArrayList<>();
			for (JsonNode entry : new ObjectMapper().readTree(index.toFile()).path("files")) {
				if (VALIDATION_TYPES.contains(entry.path("resourceType").asText())) {
					listed.add(folder.resolve(entry.path("filename").asText()));
				}
			}
			return listed;
		}
		try (Stream<Path> files = Files.list(folder)) {
			return files.filter(p -> p.getFileName().toString().endsWith(".json"))
					.filter(p -> !p.getFileName().toString().equals("package.json"))
					.filter(p -> !p.getFileName().toString().startsWith("."))
					.sorted()
					.toList();
		}
	}

	private static String packageId(Path manifest) {
		try {
			JsonNode json = new ObjectMapper().readTree(manifest.toFile());
			return json.path("name").asText("?") + "#" + json.path("version").asText("?");
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	public PrePopulatedValidationSupport validationSupport() {
		return myValidationSupport;
	}

	public List<IBaseResource> toStore() {
		return myToStore;
	}

	public int validationCount() {
		return myValidationCount;
	}
}
