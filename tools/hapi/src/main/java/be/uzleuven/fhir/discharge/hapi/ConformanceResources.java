package be.uzleuven.fhir.discharge.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
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

	public static ConformanceResources load(FhirContext ctx, String directory) {
		PrePopulatedValidationSupport support = new PrePopulatedValidationSupport(ctx);
		List<IBaseResource> toStore = new ArrayList<>();
		if (directory == null || directory.isBlank()) {
			ourLog.warn("No conformance directory given (HAPI_CONFORMANCE_DIR): validating against base R4 only");
			return new ConformanceResources(support, toStore, 0);
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
		return new ConformanceResources(support, toStore, count);
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
